"""Invoices: a CBO's invoices to its clients and the operator's licence invoices to CBOs, their
lines (copied onto the invoice when it is drafted: an invoice is a document, it does not change
when names or rates do), the counters that number them, and each client's invoicing settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.billing.base import Base, created_column, new_id, updated_column


class Invoice(Base):
    """One invoice. `tenant_id` is the CBO it belongs to: the issuer of a client invoice, the
    one billed for a licence invoice (so its finance staff see it). A draft has no number."""

    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(10))
    # The client billed (None for a licence invoice: the CBO is billed).
    client_id: Mapped[str | None] = mapped_column(String(36))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # The number's series (the CBO's id, or "platform" for licences) and its place in it.
    series: Mapped[str] = mapped_column(String(36))
    sequence: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(20))
    issuer_name: Mapped[str] = mapped_column(String(200))
    bill_to_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    evv_elements: Mapped[bool] = mapped_column(Boolean, default=False)
    terms_days: Mapped[int] = mapped_column(Integer, default=30)
    base_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    premium_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_reference: Mapped[str | None] = mapped_column(String(200))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[str | None] = mapped_column(String(36))
    replaced_by_id: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        # Numbers never repeat within a series.
        UniqueConstraint("series", "sequence", name="uq_invoices_series_sequence"),
        Index("ix_invoices_tenant_period", "tenant_id", "period_start"),
        Index("ix_invoices_tenant_client", "tenant_id", "client_id"),
    )


class InvoiceLine(Base):
    """A line: a shift (worker, job type, date, hours, rate, premiums billed, and the six EVV
    elements where the client needs them) or a licence charge. `source_id` names what it bills
    (a visit, a licence month); while `live`, nothing else bills it (a partial unique index):
    voiding an invoice frees its lines for the replacement."""

    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    invoice_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(String(80))
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    service_date: Mapped[date | None] = mapped_column(Date)
    worker_id: Mapped[str | None] = mapped_column(String(36))
    worker_name: Mapped[str | None] = mapped_column(String(200))
    job_type_id: Mapped[str | None] = mapped_column(String(36))
    job_type_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int | None] = mapped_column(Integer)
    rate_cents: Mapped[int | None] = mapped_column(Integer)
    base_cents: Mapped[int] = mapped_column(BigInteger)
    premium_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    premiums: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evv: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index(
            "uq_invoice_lines_live_source",
            "tenant_id",
            "source_id",
            unique=True,
            postgresql_where=text("live"),
        ),
    )


class InvoiceCounter(Base):
    """The last number taken in a series; locked FOR UPDATE by the issue that takes the next,
    in the issue's own transaction, so a rolled-back issue takes no number."""

    __tablename__ = "invoice_counters"

    series: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class ClientInvoicing(Base):
    """A client's invoicing settings: invoiced per pay week or per month, whether its
    invoices carry the six EVV elements and premiums, and its payment terms."""

    __tablename__ = "client_invoicing"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), default="week")
    evv_elements: Mapped[bool] = mapped_column(Boolean, default=False)
    bill_premiums: Mapped[bool] = mapped_column(Boolean, default=True)
    terms_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = updated_column()
