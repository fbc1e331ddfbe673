"""Visits: the worker's clock-in and clock-out punches (idempotent by the device's id), the
geofence and the other exception rules, staff corrections and resolutions, the CBO's EVV
settings, each client's EVV choice, verification and the no-show and missing clock-out sweep."""
