"""A client's rates and markup, set by finance staff, and the rates that apply to shifts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import NotFound
from services.billing.lines.models import JobTypeRecord
from services.billing.rates import rules
from services.billing.rates.models import ClientMarkup, ClientRate


@dataclass(frozen=True)
class ShiftTerms:
    """What a shift says about its rates (billing's ShiftRecord, or a proposed shift)."""

    client_id: str
    job_type_id: str
    booking_pay: int | None = None
    booking_bill: int | None = None


def client_rates(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> dict[str, Any]:
    """The client's markup and its rates per job type."""
    markup = uow.session.get(ClientMarkup, (tenant_id, client_id))
    rows = uow.session.scalars(
        select(ClientRate)
        .where(ClientRate.tenant_id == tenant_id, ClientRate.client_id == client_id)
        .order_by(ClientRate.job_type_id)
    )
    return {
        "client_id": client_id,
        "markup_basis_points": markup.markup_basis_points if markup is not None else None,
        "job_types": [
            {
                "job_type_id": row.job_type_id,
                "pay_rate_cents": row.pay_rate_cents,
                "bill_rate_cents": row.bill_rate_cents,
            }
            for row in rows
        ],
    }


def set_client_rates(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace the client's markup and per-job-type rates with `data` (loaded by
    ClientRatesSchema): job types named must be the CBO's (NotFound otherwise)."""
    before = client_rates(uow, tenant_id=tenant_id, client_id=client_id)
    wanted = {item["job_type_id"]: item for item in data["job_types"]}
    if wanted:
        known = set(
            uow.session.scalars(
                select(JobTypeRecord.job_type_id).where(
                    JobTypeRecord.tenant_id == tenant_id,
                    JobTypeRecord.job_type_id.in_(list(wanted)),
                )
            )
        )
        missing = sorted(set(wanted) - known)
        if missing:
            raise NotFound(f"There is no job type {missing[0]}.")
    markup = uow.session.get(ClientMarkup, (tenant_id, client_id), with_for_update=True)
    if data["markup_basis_points"] is None:
        if markup is not None:
            uow.session.delete(markup)
    elif markup is None:
        uow.session.add(
            ClientMarkup(
                tenant_id=tenant_id,
                client_id=client_id,
                markup_basis_points=data["markup_basis_points"],
            )
        )
    else:
        markup.markup_basis_points = data["markup_basis_points"]
    for row in uow.session.scalars(
        select(ClientRate).where(
            ClientRate.tenant_id == tenant_id, ClientRate.client_id == client_id
        )
    ):
        if row.job_type_id not in wanted:
            uow.session.delete(row)
    for job_type_id, item in wanted.items():
        uow.session.execute(
            insert(ClientRate)
            .values(
                tenant_id=tenant_id,
                client_id=client_id,
                job_type_id=job_type_id,
                pay_rate_cents=item.get("pay_rate_cents"),
                bill_rate_cents=item.get("bill_rate_cents"),
            )
            .on_conflict_do_update(
                index_elements=["tenant_id", "client_id", "job_type_id"],
                set_={
                    "pay_rate_cents": item.get("pay_rate_cents"),
                    "bill_rate_cents": item.get("bill_rate_cents"),
                },
            )
        )
    uow.session.flush()
    after = client_rates(uow, tenant_id=tenant_id, client_id=client_id)
    audit(
        uow,
        caller,
        action="client_rates.set",
        entity_type="client",
        entity_id=client_id,
        before=before,
        after=after,
        tenant_id=tenant_id,
    )
    return after


def rates_for(
    uow: UnitOfWork, *, tenant_id: str, shifts: Iterable[ShiftTerms]
) -> dict[ShiftTerms, rules.Rates | None]:
    """The rates of each shift (None where billing does not know its job type yet), in three
    queries whatever their number."""
    terms = list(dict.fromkeys(shifts))
    if not terms:
        return {}
    job_type_ids = {t.job_type_id for t in terms}
    client_ids = {t.client_id for t in terms}
    job_types = {
        row.job_type_id: row
        for row in uow.session.scalars(
            select(JobTypeRecord).where(
                JobTypeRecord.tenant_id == tenant_id,
                JobTypeRecord.job_type_id.in_(job_type_ids),
            )
        )
    }
    overrides = {
        (row.client_id, row.job_type_id): row
        for row in uow.session.scalars(
            select(ClientRate).where(
                ClientRate.tenant_id == tenant_id,
                tuple_(ClientRate.client_id, ClientRate.job_type_id).in_(
                    {(t.client_id, t.job_type_id) for t in terms}
                ),
            )
        )
    }
    markups = {
        row.client_id: row.markup_basis_points
        for row in uow.session.scalars(
            select(ClientMarkup).where(
                ClientMarkup.tenant_id == tenant_id, ClientMarkup.client_id.in_(client_ids)
            )
        )
    }
    found: dict[ShiftTerms, rules.Rates | None] = {}
    for term in terms:
        job_type = job_types.get(term.job_type_id)
        if job_type is None:
            found[term] = None
            continue
        override = overrides.get((term.client_id, term.job_type_id))
        found[term] = rules.resolve(
            rules.RateInputs(
                job_type_pay=job_type.pay_rate_cents,
                job_type_bill=job_type.bill_rate_cents,
                exclusive=job_type.client_id is not None,
                client_pay=override.pay_rate_cents if override is not None else None,
                client_bill=override.bill_rate_cents if override is not None else None,
                markup_basis_points=markups.get(term.client_id),
                booking_pay=term.booking_pay,
                booking_bill=term.booking_bill,
            )
        )
    return found
