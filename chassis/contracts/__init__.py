"""Contracts shared between services: event payload schemas (events.py) and the permission
vocabulary (permissions.py). Services cannot import each other, so what they agree on lives here."""
