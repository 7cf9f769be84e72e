"""Business settings reuse ``settings:manage`` (declared with scheduling)."""

from frontdesk.business.scheduling.permissions import SETTINGS_MANAGE

__all__ = ["SETTINGS_MANAGE"]
