"""No schemas: the catalogue is only read by the notices' dispatch (no routes)."""
