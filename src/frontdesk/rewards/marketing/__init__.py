"""Offers and targeted advertisements."""
