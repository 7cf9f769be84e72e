"""Permissions owned by services, staff schedules and appointments."""

from frontdesk.core.permissions import declare

SERVICES_MANAGE = declare("services", "manage", "Create and change bookable services")
SCHEDULES_READ = declare("schedules", "read", "View staff hours, time off and calendars")
SCHEDULES_MANAGE = declare("schedules", "manage", "Change staff hours, services and time off")
SETTINGS_MANAGE = declare("settings", "manage", "Change business settings")
