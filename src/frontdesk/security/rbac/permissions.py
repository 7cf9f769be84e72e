"""Permissions owned by role-based access control itself."""

from frontdesk.core.permissions import declare

ROLES_READ = declare("roles", "read", "List roles and their permissions")
ROLES_MANAGE = declare("roles", "manage", "Create, change and deactivate roles and their grants")
PERMISSIONS_READ = declare("permissions", "read", "List permissions and effective permissions")
PERMISSIONS_GRANT = declare("permissions", "grant", "Assign roles and grant direct permissions")
