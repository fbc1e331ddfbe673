from chassis.migrations import run_env
from services.rebooking.models import metadata

run_env(metadata)
