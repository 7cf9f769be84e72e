"""Offers: time-boxed percentage discounts handed to customers and applied to bookings."""
