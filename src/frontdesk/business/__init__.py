"""Seed layer 3: customers, scheduling, inventory and orders."""
