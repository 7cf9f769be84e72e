"""Permissions owned by loyalty points."""

from frontdesk.core.permissions import declare

LOYALTY_READ = declare("loyalty", "read", "View customers' points and history")
LOYALTY_ADJUST = declare("loyalty", "adjust", "Adjust a customer's points with a reason")
