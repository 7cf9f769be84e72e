"""Permissions owned by bookings."""

from frontdesk.core.permissions import declare

BOOKINGS_READ = declare("bookings", "read", "View bookings and their timeline")
BOOKINGS_CREATE = declare("bookings", "create", "Book for any customer")
BOOKINGS_UPDATE = declare("bookings", "update", "Move bookings through their lifecycle")
BOOKINGS_OVERRIDE = declare("bookings", "override", "Cancel or reschedule past the cutoff")
