"""Root test configuration. eventlet must patch the standard library before anything else."""

import eventlet

eventlet.monkey_patch()

import base64  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402

# Tests use their own databases and fresh secrets, never a developer's local ones.
os.environ.setdefault("WORKLB_DATABASE_PREFIX", "worklb_test")
os.environ.setdefault("WORKLB_JWT_SECRET", secrets.token_urlsafe(48))
os.environ.setdefault("WORKLB_CONTEXT_SECRET", secrets.token_urlsafe(48))
os.environ.setdefault("WORKLB_EVV_SIGNING_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("WORKLB_EVV_SEAL_SECONDS", "0.2")
os.environ.setdefault("WORKLB_EVV_SWEEP_SECONDS", "0.5")
os.environ.setdefault("WORKLB_EVENT_RETRY_DELAYS", "0.05,0.1,0.2")
os.environ.setdefault("WORKLB_OUTBOX_POLL_SECONDS", "0.5")
os.environ.setdefault("WORKLB_TIER_SWEEP_SECONDS", "0.5")
os.environ.setdefault("WORKLB_NOTIFICATIONS_SWEEP_SECONDS", "0.3")
os.environ.setdefault("WORKLB_DEADLINE_SWEEP_SECONDS", "0.2")
os.environ.setdefault("WORKLB_REPORT_SWEEP_SECONDS", "0.3")
os.environ.setdefault("WORKLB_LOG_LEVEL", "WARNING")
# Notifications' key for secrets at rest (a Fernet key), and webhooks to receivers on loopback,
# retried quickly.
os.environ.setdefault("WORKLB_NOTIFICATIONS_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
os.environ.setdefault("WORKLB_WEBHOOK_ALLOW_LOOPBACK", "true")
os.environ.setdefault("WORKLB_WEBHOOK_SWEEP_SECONDS", "0.2")
os.environ.setdefault("WORKLB_WEBHOOK_RETRY_BASE_SECONDS", "0.2")

import chassis  # noqa: E402,F401  (quiets eventlet's deprecation notice)

# A fake SMS provider on loopback (tests/sms_provider.py); the e2e platform sends SMS to it.
from tests.sms_provider import sms_provider  # noqa: E402,F401

# One real SMTP server on loopback for the whole session (two asyncio loops cannot share this
# thread): the services' email goes to it and tests read it back. See tests/smtp.py.
from tests.smtp import smtp  # noqa: E402,F401

KINDS = ("unit", "domain", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    """Mark each test by the folder it lives in (unit, domain, integration or e2e) and run the
    kinds in that order: the end-to-end platform (nine processes and their database pools)
    lives until the session ends, so nothing else runs beside it and the suite stays within
    PostgreSQL's default 100 connections."""
    import pytest

    def kind_of(item) -> int:
        for rank, kind in enumerate(KINDS):
            if f"/tests/{kind}/" in str(item.fspath):
                return rank
        return len(KINDS)

    for item in items:
        rank = kind_of(item)
        if rank < len(KINDS):
            item.add_marker(getattr(pytest.mark, KINDS[rank]))
    items.sort(key=kind_of)  # stable: each kind keeps its own order
