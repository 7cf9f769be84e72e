"""Permissions owned by account and session administration."""

from frontdesk.core.permissions import declare

USERS_READ = declare("users", "read", "List and view user accounts")
USERS_CREATE = declare("users", "create", "Create staff accounts")
USERS_UPDATE = declare("users", "update", "Update and deactivate user accounts")
SESSIONS_READ_ANY = declare("sessions", "read_any", "List any user's sessions and session logs")
SESSIONS_REVOKE_ANY = declare("sessions", "revoke_any", "Revoke any user's sessions")
