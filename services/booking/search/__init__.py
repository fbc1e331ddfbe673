"""Search: eligible workers for a shift, ranked, and those left out with why."""
