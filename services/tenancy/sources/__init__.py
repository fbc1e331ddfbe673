"""Worker sources (e.g. a local college) and their rules: a weekly hour cap that applies in
term time. Booking asks `source_rules` before it makes an offer."""
