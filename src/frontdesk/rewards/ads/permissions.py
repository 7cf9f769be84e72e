"""Permissions owned by advertisements."""

from frontdesk.core.permissions import declare

ADS_MANAGE = declare("ads", "manage", "Manage advertisements and read their statistics")
