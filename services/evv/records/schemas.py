"""The read model is fed by events (their schemas are the contracts in
chassis/contracts/booking_events.py and tenancy_events.py); it has no API schemas."""
