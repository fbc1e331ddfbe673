"""Notices: what someone is to be told, from booking's and rebooking's events (an offer, a
confirmation, a withdrawal, a cancellation, an exhausted cascade) or due later (a reminder
before a confirmed shift). A timer dispatches each due notice exactly once into inbox items and
queued emails and SMS, in each person's language with the CBO's words."""
