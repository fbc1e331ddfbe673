"""Tenancy: CBO tenants and their approval by the city, MOUs, branding and words, the login box,
client organisations, worker sources and their rules, partnerships, feature licences."""
