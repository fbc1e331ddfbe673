"""Rebooking: client rebooking preferences, confirmation deadlines, replacement cascades until an
approved worker confirms, and exhaustion alerts to staff."""
