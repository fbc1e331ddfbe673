"""Invoices: drafts, their issue (the number taken in the same transaction, from the series'
counter row, locked), payment and voiding (with a replacement that takes a new number), who
sees which, and each client's invoicing settings.

Who sees what:
- the CBO's staff with `payroll.run`: the CBO's client invoices and the licence invoices it is
  billed; they issue, pay and void client invoices only;
- a client's user: their own client's invoices once issued (never a draft, never another
  client's);
- the operator: every CBO's licence invoices, which only the operator issues, pays and voids;
- anybody else: nothing (404, as if there were none).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from chassis.audit import audit
from chassis.context import CLIENT, OPERATOR, STAFF, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Forbidden, NotFound
from services.billing.invoices import rules
from services.billing.invoices.models import (
    ClientInvoicing,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
)

DEFAULT_SETTINGS = {
    "period": rules.WEEK,
    "evv_elements": False,
    "bill_premiums": True,
    "terms_days": 30,
}


# Who sees what.


def _visible(query: Select, caller: Caller) -> Select:
    """`query` over Invoice narrowed to what `caller` may see."""
    if caller.kind == OPERATOR:
        return query.where(Invoice.kind == rules.LICENCE)
    if caller.is_home_system:
        return query.where(Invoice.tenant_id == caller.require_tenant())
    tenant_id = caller.require_tenant()
    if caller.kind == STAFF and caller.can("payroll.run"):
        return query.where(Invoice.tenant_id == tenant_id)
    if caller.kind == CLIENT and caller.client_id:
        return query.where(
            Invoice.tenant_id == tenant_id,
            Invoice.kind == rules.CLIENT,
            Invoice.client_id == caller.client_id,
            Invoice.status != rules.DRAFT,
        )
    return query.where(Invoice.id.is_(None))


def find_invoice(
    uow: UnitOfWork, *, caller: Caller, invoice_id: str, lock: bool = False
) -> Invoice:
    """The invoice if `caller` may see it; NotFound otherwise (as if there were none)."""
    query = _visible(select(Invoice).where(Invoice.id == invoice_id), caller)
    if lock:
        query = query.with_for_update()
    found = uow.session.scalars(query).first()
    if found is None:
        raise NotFound("There is no such invoice.")
    return found


def _may_change(caller: Caller, invoice: Invoice) -> None:
    """Client invoices are the CBO's finance staff's to issue, pay and void; licence invoices
    the operator's."""
    if caller.is_home_system:
        return
    if invoice.kind == rules.LICENCE:
        if caller.kind != OPERATOR or not caller.can("platform.licences.manage"):
            raise Forbidden("Only the platform operator issues, pays and voids licence invoices.")
    elif caller.kind != STAFF or not caller.can("payroll.run"):
        raise Forbidden("You do not have the 'payroll.run' permission.")


def lines_of(uow: UnitOfWork, *, invoice_id: str) -> list[InvoiceLine]:
    return list(
        uow.session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


def invoice_view(uow: UnitOfWork, *, invoice: Invoice, with_lines: bool = True) -> dict[str, Any]:
    """The invoice as the API and its documents show it."""
    replaces_number = None
    if invoice.replaces_id:
        replaces_number = uow.session.scalar(
            select(Invoice.number).where(Invoice.id == invoice.replaces_id)
        )
    view = {
        column.key: getattr(invoice, column.key)
        for column in Invoice.__table__.columns  # type: ignore[attr-defined]
        if column.key not in ("series", "sequence", "created_by")
    }
    view["replaces_number"] = replaces_number
    view["allowed_actions"] = list(rules.allowed_actions(invoice.status))
    if with_lines:
        view["lines"] = [_line_view(line) for line in lines_of(uow, invoice_id=invoice.id)]
    return view


def _line_view(line: InvoiceLine) -> dict[str, Any]:
    return {
        column.key: getattr(line, column.key)
        for column in InvoiceLine.__table__.columns  # type: ignore[attr-defined]
        if column.key not in ("invoice_id", "tenant_id", "live")
    }


def list_invoices(
    uow: UnitOfWork,
    *,
    caller: Caller,
    page: int,
    per_page: int,
    status: str | None = None,
    kind: str | None = None,
    client_id: str | None = None,
    tenant_id: str | None = None,
    period_start: date | None = None,
) -> dict[str, Any]:
    query = _visible(select(Invoice), caller)
    if status:
        query = query.where(Invoice.status == status)
    if kind:
        query = query.where(Invoice.kind == kind)
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if tenant_id:
        query = query.where(Invoice.tenant_id == tenant_id)
    if period_start:
        query = query.where(Invoice.period_start == period_start)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = uow.session.scalars(
        query.order_by(Invoice.period_start.desc(), Invoice.created_at.desc(), Invoice.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [invoice_view(uow, invoice=invoice, with_lines=False) for invoice in found]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def issued_for_export(
    uow: UnitOfWork,
    *,
    caller: Caller,
    period_start: date,
    client_id: str | None = None,
    limit: int = 2000,
) -> list[dict[str, Any]]:
    """The issued and paid client invoices of a period (one client's, or all), with their
    lines, for one accounting import file (voided ones and drafts are not invoices to book)."""
    query = _visible(select(Invoice), caller).where(
        Invoice.kind == rules.CLIENT,
        Invoice.status.in_((rules.ISSUED, rules.PAID)),
        Invoice.period_start == period_start,
    )
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    found = uow.session.scalars(query.order_by(Invoice.sequence).limit(limit)).all()
    return [invoice_view(uow, invoice=invoice) for invoice in found]


# Drafts.


def create_draft(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    kind: str,
    client_id: str | None,
    period: str,
    period_start: date,
    period_end: date,
    issuer_name: str,
    bill_to_name: str,
    timezone: str,
    lines: Iterable[dict[str, Any]],
    evv_elements: bool = False,
    terms_days: int = 30,
    created_by: str | None = None,
    replaces_id: str | None = None,
) -> Invoice:
    """A draft with its lines (each: source_id, description, base_cents, premium_cents,
    amount_cents, and for a shift its worker, job type, date, minutes, rate, premiums, evv).
    A line whose source another live invoice bills already is a Conflict."""
    invoice = Invoice(
        tenant_id=tenant_id,
        kind=kind,
        client_id=client_id,
        period=period,
        period_start=period_start,
        period_end=period_end,
        status=rules.DRAFT,
        series=rules.issuer_of(kind, tenant_id),
        issuer_name=issuer_name,
        bill_to_name=bill_to_name,
        timezone=timezone,
        evv_elements=evv_elements,
        terms_days=terms_days,
        created_by=created_by,
        replaces_id=replaces_id,
    )
    uow.session.add(invoice)
    uow.session.flush()
    rows = []
    for position, line in enumerate(lines, start=1):
        rows.append(
            InvoiceLine(
                invoice_id=invoice.id,
                tenant_id=tenant_id,
                position=position,
                live=True,
                **{k: v for k, v in line.items() if k not in ("evv",)},
                evv=line.get("evv") if evv_elements else None,
            )
        )
    uow.session.add_all(rows)
    try:
        with uow.session.begin_nested():
            uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("Some of these lines are on another invoice already.") from exc
    _total(invoice, rows)
    return invoice


def _total(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.base_cents = rules.total(line.base_cents for line in lines)
    invoice.premium_cents = rules.total(line.premium_cents for line in lines)
    invoice.total_cents = rules.total(line.amount_cents for line in lines)


def discard_draft(uow: UnitOfWork, *, invoice: Invoice) -> None:
    """A draft made again from newer lines goes (it has no number: nothing to keep)."""
    if invoice.status != rules.DRAFT:
        raise Conflict("Only a draft is discarded.")
    uow.session.delete(invoice)
    uow.session.flush()


# The life cycle.


def _event(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "client_id": invoice.client_id or invoice.tenant_id,
        "kind": invoice.kind,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "total_cents": invoice.total_cents,
    }


def _move(invoice: Invoice, action: str) -> str:
    after = rules.next_status(invoice.status, action)
    if after is None:
        raise Conflict(f"A {invoice.status} invoice cannot be {_PAST[action]}.")
    return after


_PAST = {rules.ISSUE: "issued", rules.PAY: "paid", rules.VOID_ACTION: "voided"}


def take_number(uow: UnitOfWork, *, series: str, kind: str) -> int:
    """The next number of a series. The counter row is locked by the UPDATE until the issue's
    transaction ends: a concurrent issue waits, and a rolled-back one takes nothing."""
    uow.session.execute(
        insert(InvoiceCounter)
        .values(series=series, kind=kind, last_sequence=0)
        .on_conflict_do_nothing(index_elements=["series", "kind"])
    )
    return uow.session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.series == series, InvoiceCounter.kind == kind)
        .values(last_sequence=InvoiceCounter.last_sequence + 1)
        .returning(InvoiceCounter.last_sequence)
    ).scalar_one()


def issue_invoice(uow: UnitOfWork, *, caller: Caller, invoice_id: str, now: datetime) -> Invoice:
    invoice = find_invoice(uow, caller=caller, invoice_id=invoice_id, lock=True)
    _may_change(caller, invoice)
    invoice.status = _move(invoice, rules.ISSUE)
    if not lines_of(uow, invoice_id=invoice.id):
        raise Conflict("An invoice without lines is not issued.")
    invoice.sequence = take_number(uow, series=invoice.series, kind=invoice.kind)
    invoice.number = rules.invoice_number(invoice.kind, invoice.sequence)
    invoice.issued_at = now
    invoice.due_on = rules.due_on(
        now.astimezone(ZoneInfo(invoice.timezone)).date(), invoice.terms_days
    )
    uow.session.flush()
    uow.emit("invoice.issued", {**_event(invoice), "issued_at": now}, tenant_id=invoice.tenant_id)
    _audit(uow, caller, invoice, "invoice.issue", rules.DRAFT)
    return invoice


def pay_invoice(
    uow: UnitOfWork,
    *,
    caller: Caller,
    invoice_id: str,
    now: datetime,
    paid_at: datetime | None = None,
    reference: str | None = None,
) -> Invoice:
    invoice = find_invoice(uow, caller=caller, invoice_id=invoice_id, lock=True)
    _may_change(caller, invoice)
    before = invoice.status
    invoice.status = _move(invoice, rules.PAY)
    invoice.paid_at = paid_at or now
    invoice.payment_reference = reference
    uow.session.flush()
    uow.emit(
        "invoice.paid", {**_event(invoice), "paid_at": invoice.paid_at}, tenant_id=invoice.tenant_id
    )
    _audit(uow, caller, invoice, "invoice.pay", before)
    return invoice


def void_invoice(
    uow: UnitOfWork,
    *,
    caller: Caller,
    invoice_id: str,
    reason: str,
    replace: bool,
    now: datetime,
) -> tuple[Invoice, Invoice | None]:
    """Void an issued (or paid) invoice; it keeps its number. With `replace`, its lines go on a
    new draft (which takes a new number when it is issued)."""
    invoice = find_invoice(uow, caller=caller, invoice_id=invoice_id, lock=True)
    _may_change(caller, invoice)
    before = invoice.status
    invoice.status = _move(invoice, rules.VOID_ACTION)
    invoice.voided_at = now
    invoice.void_reason = reason
    lines = lines_of(uow, invoice_id=invoice.id)
    for line in lines:
        line.live = False
    uow.session.flush()
    replacement = None
    if replace:
        replacement = create_draft(
            uow,
            tenant_id=invoice.tenant_id,
            kind=invoice.kind,
            client_id=invoice.client_id,
            period=invoice.period,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issuer_name=invoice.issuer_name,
            bill_to_name=invoice.bill_to_name,
            timezone=invoice.timezone,
            evv_elements=invoice.evv_elements,
            terms_days=invoice.terms_days,
            created_by=caller.user_id,
            replaces_id=invoice.id,
            lines=[_copy(line) for line in lines],
        )
        invoice.replaced_by_id = replacement.id
        uow.session.flush()
    uow.emit(
        "invoice.voided",
        {**_event(invoice), "voided_at": now, "replaced_by": invoice.replaced_by_id},
        tenant_id=invoice.tenant_id,
    )
    _audit(uow, caller, invoice, "invoice.void", before)
    return invoice, replacement


_NOT_COPIED = ("id", "invoice_id", "tenant_id", "position", "live")


def _copy(line: InvoiceLine) -> dict[str, Any]:
    return {
        column.key: getattr(line, column.key)
        for column in InvoiceLine.__table__.columns  # type: ignore[attr-defined]
        if column.key not in _NOT_COPIED
    }


def _audit(uow: UnitOfWork, caller: Caller, invoice: Invoice, action: str, before: str) -> None:
    audit(
        uow,
        caller,
        action=action,
        entity_type="invoice",
        entity_id=invoice.id,
        before={"status": before},
        after={
            "status": invoice.status,
            "number": invoice.number,
            "total_cents": invoice.total_cents,
            "void_reason": invoice.void_reason,
            "replaced_by": invoice.replaced_by_id,
        },
        tenant_id=invoice.tenant_id,
    )


# Each client's invoicing settings.


def client_settings(uow: UnitOfWork, *, tenant_id: str, client_id: str) -> dict[str, Any]:
    found = uow.session.get(ClientInvoicing, (tenant_id, client_id))
    if found is None:
        return {"client_id": client_id, **DEFAULT_SETTINGS}
    return {
        "client_id": client_id,
        "period": found.period,
        "evv_elements": found.evv_elements,
        "bill_premiums": found.bill_premiums,
        "terms_days": found.terms_days,
    }


def set_client_settings(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, client_id: str, settings: dict[str, Any]
) -> dict[str, Any]:
    before = client_settings(uow, tenant_id=tenant_id, client_id=client_id)
    values = {**{k: before[k] for k in DEFAULT_SETTINGS}, **settings}
    uow.session.execute(
        insert(ClientInvoicing)
        .values(tenant_id=tenant_id, client_id=client_id, **values)
        .on_conflict_do_update(index_elements=["tenant_id", "client_id"], set_=values)
    )
    after = client_settings(uow, tenant_id=tenant_id, client_id=client_id)
    audit(
        uow,
        caller,
        action="client_invoicing.update",
        entity_type="client",
        entity_id=client_id,
        before=before,
        after=after,
        tenant_id=tenant_id,
    )
    return after
