from chassis.migrations import run_env
from services.identity import service  # noqa: F401  (imports every area, so every table is known)
from services.identity.base import metadata

run_env(metadata)
