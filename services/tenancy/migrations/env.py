from chassis.migrations import run_env
from services.tenancy import service  # noqa: F401  (imports every area, so every table is known)
from services.tenancy.base import metadata

run_env(metadata)
