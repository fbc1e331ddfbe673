from chassis.migrations import run_env
from services.evv.models import metadata

run_env(metadata)
