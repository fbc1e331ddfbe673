from chassis.migrations import run_env
from services.tenancy.models import metadata

run_env(metadata)
