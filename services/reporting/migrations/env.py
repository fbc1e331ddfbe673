from chassis.migrations import run_env
from services.reporting import service  # noqa: F401  (imports every area, so every table is known)
from services.reporting.base import metadata

run_env(metadata)
