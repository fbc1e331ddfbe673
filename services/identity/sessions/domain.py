"""Session generations: ending an account's sessions, and saying whether a token's stands.

Plain functions over a unit of work. A token carries the generation it was issued under
(chassis.contracts.sessions.SESSION_CLAIM); raising an account's generation voids them all.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.db import UnitOfWork
from chassis.errors import Unauthenticated
from services.identity.accounts.models import Account, RefreshToken
from services.identity.accounts.rules import ACTIVE
from services.identity.sessions import rules
from services.identity.sessions.models import SessionGeneration
from services.identity.tenants.models import Tenant


def generation_of(uow: UnitOfWork, *, account_id: str) -> int:
    """The generation a token issued now carries."""
    return _current(uow, account_id)[0]


def _current(uow: UnitOfWork, account_id: str) -> tuple[int, str]:
    # Columns, not the entity: always what the database holds, even after an end_sessions in
    # the same unit of work.
    row = uow.session.execute(
        select(SessionGeneration.generation, SessionGeneration.ended_because).where(
            SessionGeneration.account_id == account_id
        )
    ).first()
    return (row.generation, row.ended_because) if row is not None else (0, "")


def end_sessions(uow: UnitOfWork, *, account_ids: list[str], because: str) -> None:
    """Void every token the accounts hold: access tokens at the gateway's next check (within
    seconds), refresh tokens now. `because` is a rules.ENDED_BECAUSE key."""
    _end(uow, select(Account.id).where(Account.id.in_(account_ids)), because)


def end_sessions_of_role(uow: UnitOfWork, *, tenant_id: str, role: str, because: str) -> None:
    """Void the tokens of everybody in a CBO who holds a role (its permissions changed)."""
    holders = select(Account.id).where(
        Account.tenant_id == tenant_id, Account.roles.contains([role])
    )
    _end(uow, holders, because)


def _end(uow: UnitOfWork, accounts: Select, because: str) -> None:
    if because not in rules.ENDED_BECAUSE:
        raise ValueError(f"unknown reason to end sessions: {because}")
    now = datetime.now(UTC)
    raise_generation = insert(SessionGeneration).from_select(
        ["account_id", "generation", "ended_because", "ended_at"],
        select(accounts.subquery().c.id, literal(1), literal(because), literal(now)),
    )
    uow.session.execute(
        raise_generation.on_conflict_do_update(
            index_elements=[SessionGeneration.account_id],
            set_={
                "generation": SessionGeneration.generation + 1,
                "ended_because": raise_generation.excluded.ended_because,
                "ended_at": raise_generation.excluded.ended_at,
            },
        )
    )
    # Refused anyway by require_current; revoked too, so the table says what is live.
    _revoke_refresh_tokens(uow, accounts, now)


def end_sessions_of_cbo(uow: UnitOfWork, *, tenant_id: str) -> None:
    """A suspended CBO's people can refresh no session (their access tokens are refused by
    the gateway's check of the CBO's status, so their generation stays)."""
    owners = select(Account.id).where(Account.tenant_id == tenant_id)
    _revoke_refresh_tokens(uow, owners, datetime.now(UTC))


def _revoke_refresh_tokens(uow: UnitOfWork, accounts: Select, now: datetime) -> None:
    uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id.in_(accounts), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def require_current(uow: UnitOfWork, *, account_id: str, generation: int) -> int:
    """Refuse a (refresh) token issued under an older generation than the account's; returns
    the generation (the one new tokens carry)."""
    current, because = _current(uow, account_id)
    if generation != current:
        raise Unauthenticated(rules.ENDED_BECAUSE.get(because, rules.ENDED))
    return current


def session_status(uow: UnitOfWork, *, account_id: str, generation: int) -> dict:
    """Whether a token of `account_id` issued under `generation` still speaks for it, and the
    status of its CBO (chassis.contracts.sessions.SessionStatusSchema)."""
    answer = session_statuses(uow, sessions=[(account_id, generation)])[0]
    return {key: answer[key] for key in ("valid", "message", "cbo_status")}


def session_statuses(uow: UnitOfWork, *, sessions: list[tuple[str, int]]) -> list[dict]:
    """`session_status` of many (account, generation) pairs at once, in their order, each with
    its account id and generation: one query (the gateway renews the sessions in use in
    batches)."""
    account_ids = list({account_id for account_id, _ in sessions})
    rows = uow.session.execute(
        select(
            Account.id,
            Account.status,
            Account.tenant_id,
            Tenant.status.label("cbo"),
            func.coalesce(SessionGeneration.generation, 0).label("generation"),
            func.coalesce(SessionGeneration.ended_because, "").label("ended_because"),
        )
        .outerjoin(Tenant, Tenant.tenant_id == Account.tenant_id)
        .outerjoin(SessionGeneration, SessionGeneration.account_id == Account.id)
        .where(Account.id.in_(account_ids))
    ).all()
    found = {row.id: row for row in rows}
    answers = []
    for account_id, generation in sessions:
        row = found.get(account_id)
        message = rules.void_because(
            account_found=row is not None,
            account_active=row is not None and row.status == ACTIVE,
            current=row.generation if row else 0,
            presented=generation,
            ended_because=row.ended_because if row else "",
        )
        answers.append(
            {
                "account_id": account_id,
                "generation": generation,
                "valid": message is None,
                "message": message,
                "cbo_status": rules.cbo_status(
                    tenant_id=row.tenant_id if row else None, projected=row.cbo if row else None
                ),
            }
        )
    return answers
