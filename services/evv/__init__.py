"""EVV: visits (clock-in/out with time and GPS), geofences, a tamper-evident punch record,
exceptions and visit maintenance, weekly timesheets and their approvals."""
