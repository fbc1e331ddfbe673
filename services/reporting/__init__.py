"""Reporting: a read model built only from events; KPIs, activity reports, downloads."""
