"""Partnerships between CBOs: one proposes what to share, the other accepts or declines,
either side ends it."""
