"""Permissions owned by referrals."""

from frontdesk.core.permissions import declare

REFERRALS_READ = declare("referrals", "read", "View referrals")
