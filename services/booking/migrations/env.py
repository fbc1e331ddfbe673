from chassis.migrations import run_env
from services.booking import service  # noqa: F401  (imports every area, so every table is known)
from services.booking.base import metadata

run_env(metadata)
