"""Permissions owned by payments."""

from frontdesk.core.permissions import declare

PAYMENTS_READ = declare("payments", "read", "View payments")
PAYMENTS_CREATE = declare("payments", "create", "Record and capture payments")
PAYMENTS_REFUND = declare("payments", "refund", "Refund payments")
PAYMENTS_EXPORT = declare("payments", "export", "Export payments for accounting")
