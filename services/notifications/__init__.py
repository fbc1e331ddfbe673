"""Notifications: the in-app inbox, email and SMS delivery (per-CBO provider settings, encrypted),
message templates per language with the CBO's words, reminders, the delivery log and opt-outs.
Fed by every other service's events; a process of its own, so a burst of messages never slows
sign-in or imports (identity still sends its own invitation and reset emails: their tokens never
leave it)."""
