"""Permissions owned by offers."""

from frontdesk.core.permissions import declare

OFFERS_READ = declare("offers", "read", "View offers and their statistics")
OFFERS_MANAGE = declare("offers", "manage", "Create offers and hand them to customers")
