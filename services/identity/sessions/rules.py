"""Pure rules of sessions: whether a token's session stands, and what to tell the person."""

from __future__ import annotations

from chassis.contracts.sessions import APPROVED

# Why an account's sessions were ended → what its person is told on their next request.
ENDED_BECAUSE: dict[str, str] = {
    "deactivated": "Your session ended when your account was deactivated; sign in again.",
    "password_reset": "Your password was reset; sign in with the new one.",
    "roles_changed": "Your roles changed; sign in again to use them.",
    "role_updated": "A role you hold was changed; sign in again to use it.",
}
NO_ACCOUNT = "Your account no longer exists."
INACTIVE = "Your account is not active any more."
ENDED = "Your session has ended; sign in again."


def void_because(
    *, account_found: bool, account_active: bool, current: int, presented: int, ended_because: str
) -> str | None:
    """Why a token issued under generation `presented` no longer speaks for its account (the
    person's message), or None if its session stands."""
    if not account_found:
        return NO_ACCOUNT
    if not account_active:
        return INACTIVE
    if presented != current:
        return ENDED_BECAUSE.get(ended_because, ENDED)
    return None


def cbo_status(*, tenant_id: str | None, projected: str | None) -> str | None:
    """A CBO's status for the session check, from identity's projection of tenancy's CBOs
    ("active" or "suspended"); None for a caller of no CBO. A CBO identity does not know is
    "unknown", which refuses writes like a suspension does."""
    if tenant_id is None:
        return None
    if projected == "active":
        return APPROVED
    if projected == "suspended":
        return "suspended"
    return "unknown"
