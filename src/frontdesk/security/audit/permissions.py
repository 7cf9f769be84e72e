"""Permissions owned by the audit log."""

from frontdesk.core.permissions import declare

AUDIT_LOGS_READ = declare("audit_logs", "read", "Read the audit log")
AUDIT_LOGS_VERIFY = declare("audit_logs", "verify", "Verify the audit log's hash chain")
