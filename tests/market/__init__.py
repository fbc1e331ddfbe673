"""Builders of booking's rows for domain and integration tests of the market."""
