from chassis.migrations import run_env
from services.rebooking import service  # noqa: F401  (imports every area, so every table is known)
from services.rebooking.base import metadata

run_env(metadata)
