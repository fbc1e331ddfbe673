"""Verified visits for the state's aggregator: Sandata-style visits with their calls and
changes, and HHAeXchange-style visits, as CSV or JSON."""
