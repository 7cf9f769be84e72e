"""Bookings (orders), their lines, payments and timeline."""
