"""frontdesk: the back office of an appointment-based business."""

__version__ = "0.1.0"
