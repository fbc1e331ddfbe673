from chassis.migrations import run_env
from services.notifications import service  # noqa: F401  (imports every area, so every table is known)
from services.notifications.base import metadata

run_env(metadata)
