"""Business settings: the time zone, currency and booking rules of the business."""
