"""Permissions owned by loyalty points, rewards and referrals."""

from frontdesk.core.permissions import declare

LOYALTY_READ = declare("loyalty", "read", "View customers' points and history")
LOYALTY_ADJUST = declare("loyalty", "adjust", "Adjust a customer's points with a reason")
REWARDS_MANAGE = declare("rewards", "manage", "Manage the rewards catalogue")
REFERRALS_READ = declare("referrals", "read", "View referrals")
