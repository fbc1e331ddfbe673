from chassis.migrations import run_env
from services.booking.models import metadata

run_env(metadata)
