"""The tenants area has no API of its own: its projections are fed by tenancy's events, whose
payload schemas live in chassis/contracts/tenancy_events.py."""
