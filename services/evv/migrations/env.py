from chassis.migrations import run_env
from services.evv import service  # noqa: F401  (imports every area, so every table is known)
from services.evv.base import metadata

run_env(metadata)
