"""Tenants: identity's projections of tenancy's CBOs, client organisations and worker sources,
kept from tenancy's events."""
