from chassis.migrations import run_env
from services.billing import service  # noqa: F401  (imports every area, so every table is known)
from services.billing.base import metadata

run_env(metadata)
