"""Permissions owned by the rewards catalogue."""

from frontdesk.core.permissions import declare

REWARDS_MANAGE = declare("rewards", "manage", "Manage the rewards catalogue")
