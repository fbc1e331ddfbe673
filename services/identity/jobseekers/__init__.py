"""Job seekers: registration, profile and availability, ID documents, approval (per CBO and per
job type), suspension, and eligibility for booking."""
