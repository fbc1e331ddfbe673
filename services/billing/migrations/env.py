from chassis.migrations import run_env
from services.billing.models import metadata

run_env(metadata)
