"""The deadlines area has no API of its own (timers are rebooking's internal state)."""
