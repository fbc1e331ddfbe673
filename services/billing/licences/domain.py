"""Licence charges: billing's read model of tenancy's licences and CBO names, the operator's
monthly prices, and a month's charges drafted as each CBO's licence invoice (kind "licence"),
which the operator issues like any invoice (numbers from the operator's own series).

Charging a month again drafts only what no live invoice bills yet (each charge's source is
its CBO, feature and month): an issued month is never charged twice, and a draft is made
again from the newest licences and prices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis import licence_records
from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.licence_records import is_newer
from services.billing.invoices import domain as invoices
from services.billing.invoices import rules as invoice_rules
from services.billing.invoices.models import Invoice, InvoiceLine
from services.billing.licences import rules
from services.billing.licences.models import CboName, LicencePrice, LicenceRecord

# Who licence invoices come from: the platform's operator (the seed's workforce nonprofit).
OPERATOR_NAME = "Pacific Gateway Workforce Partnership"
DEFAULT_TIMEZONE = "America/Los_Angeles"


def learn_licence(uow: UnitOfWork, **licence: Any) -> None:
    """Keep a licence as its event says (chassis.licence_records.learn_licence's keywords)."""
    licence_records.learn_licence(uow, model=LicenceRecord, **licence)


def learn_cbo_name(uow: UnitOfWork, *, tenant_id: str, name: str, event_at: datetime) -> None:
    record = uow.session.get(CboName, tenant_id, with_for_update=True)
    if record is None:
        uow.session.add(CboName(tenant_id=tenant_id, name=name, event_at=event_at))
    elif is_newer(event_at, record.event_at):
        record.name, record.event_at = name, event_at
    uow.session.flush()


def cbo_name(uow: UnitOfWork, *, tenant_id: str) -> str:
    record = uow.session.get(CboName, tenant_id)
    return record.name if record is not None else "CBO"


def prices(uow: UnitOfWork) -> dict[str, int]:
    return {row.feature: row.monthly_cents for row in uow.session.scalars(select(LicencePrice))}


def price_list(uow: UnitOfWork) -> list[dict[str, Any]]:
    found = prices(uow)
    return [
        {
            "feature": feature,
            "name": rules.FEATURE_NAMES[feature],
            "monthly_cents": found.get(feature),
        }
        for feature in rules.FEATURES
    ]


def set_price(
    uow: UnitOfWork, *, caller: Caller, feature: str, monthly_cents: int
) -> dict[str, Any]:
    before = prices(uow).get(feature)
    uow.session.execute(
        insert(LicencePrice)
        .values(feature=feature, monthly_cents=monthly_cents, updated_by=caller.user_id)
        .on_conflict_do_update(
            index_elements=["feature"],
            set_={"monthly_cents": monthly_cents, "updated_by": caller.user_id},
        )
    )
    audit(
        uow,
        caller,
        action="licence_price.update",
        entity_type="licence_price",
        entity_id=feature,
        before={"monthly_cents": before},
        after={"monthly_cents": monthly_cents},
        tenant_id=None,
    )
    return {
        "feature": feature,
        "name": rules.FEATURE_NAMES[feature],
        "monthly_cents": monthly_cents,
    }


def _licences_by_cbo(
    uow: UnitOfWork, month: date
) -> dict[str, list[tuple[str, date, date | None]]]:
    first, last = rules.month_bounds(month)
    query = select(LicenceRecord).where(
        LicenceRecord.starts_on <= last,
        (LicenceRecord.ends_on.is_(None)) | (LicenceRecord.ends_on >= first),
    )
    found: dict[str, list[tuple[str, date, date | None]]] = {}
    for record in uow.session.scalars(query):
        found.setdefault(record.tenant_id, []).append(
            (record.feature, record.starts_on, record.ends_on)
        )
    return found


def _live_sources(uow: UnitOfWork, tenant_id: str, sources: list[str]) -> set[str]:
    query = select(InvoiceLine.source_id).where(
        InvoiceLine.tenant_id == tenant_id, InvoiceLine.live, InvoiceLine.source_id.in_(sources)
    )
    return set(uow.session.scalars(query))


def _drafts(uow: UnitOfWork, tenant_id: str, month: date) -> list[Invoice]:
    return list(
        uow.session.scalars(
            select(Invoice).where(
                Invoice.tenant_id == tenant_id,
                Invoice.kind == invoice_rules.LICENCE,
                Invoice.period_start == month,
                Invoice.status == invoice_rules.DRAFT,
            )
        )
    )


def charge_month(
    uow: UnitOfWork, *, caller: Caller, month: date, timezone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Draft each CBO's licence invoice for `month` (the CBO's licences that month, at the
    operator's prices). Returns the drafts made and the features without a price."""
    month = month.replace(day=1)
    first, last = rules.month_bounds(month)
    price_of = prices(uow)
    drafted: list[Invoice] = []
    unpriced: set[str] = set()
    for tenant_id, licences in sorted(_licences_by_cbo(uow, month).items()):
        unpriced |= {feature for feature, _, _ in licences if feature not in price_of}
        for draft in _drafts(uow, tenant_id, month):
            invoices.discard_draft(uow, invoice=draft)
        charges = rules.charges_for_month(licences=licences, prices=price_of, month=month)
        keys = [rules.charge_key(charge.feature, month) for charge in charges]
        billed = _live_sources(uow, tenant_id, keys)
        lines = [
            _charge_line(charge, key, first, last)
            for charge, key in zip(charges, keys, strict=True)
            if key not in billed
        ]
        if not lines:
            continue
        drafted.append(
            invoices.create_draft(
                uow,
                tenant_id=tenant_id,
                kind=invoice_rules.LICENCE,
                client_id=None,
                period=invoice_rules.MONTH,
                period_start=first,
                period_end=last,
                issuer_name=OPERATOR_NAME,
                bill_to_name=cbo_name(uow, tenant_id=tenant_id),
                timezone=timezone,
                lines=lines,
                created_by=caller.user_id,
            )
        )
    return {
        "month": f"{month:%Y-%m}",
        "drafts": [
            invoices.invoice_view(uow, invoice=draft, with_lines=False) for draft in drafted
        ],
        "unpriced_features": sorted(unpriced),
    }


def _charge_line(charge: rules.Charge, key: str, first: date, last: date) -> dict[str, Any]:
    name = rules.FEATURE_NAMES.get(charge.feature, charge.feature)
    description = f"{name}, {first} to {last}"
    if charge.days != charge.days_in_month:
        description += f" ({charge.days} of {charge.days_in_month} days)"
    return {
        "source_id": key,
        "description": description,
        "base_cents": charge.amount_cents,
        "premium_cents": 0,
        "amount_cents": charge.amount_cents,
    }
