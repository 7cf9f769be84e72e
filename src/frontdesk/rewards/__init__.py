"""Seed layer 4: loyalty and marketing, driven by business events."""
