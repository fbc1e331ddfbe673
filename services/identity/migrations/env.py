from chassis.migrations import run_env
from services.identity import jobseeker_models  # noqa: F401  (its tables join the metadata)
from services.identity.models import metadata
from services.identity.sessions import models as session_models  # noqa: F401

run_env(metadata)
