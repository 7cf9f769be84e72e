"""Payments of a booking: recording, capturing, voiding and refunding money, through
pluggable providers, under one transition table (see ``rules.py``)."""
