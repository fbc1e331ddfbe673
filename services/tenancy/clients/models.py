"""Client organisations and the CSV imports that register them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.tenancy.base import Base, created_column, new_id, updated_column


class Client(Base):
    """A client organisation that buys the CBO's workers' hours: the city, a business, a
    family."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # Indexed through the unique index below, which starts with it.
    tenant_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    billing_contact: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(254))
    billing_phone: Mapped[str] = mapped_column(String(40), default="")
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    po_number: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        # The same organisation is not registered twice in one CBO (CSV re-runs match on it).
        Index(
            "uq_clients_tenant_name_email",
            "tenant_id",
            text("lower(name)"),
            text("lower(billing_email)"),
            unique=True,
        ),
    )


class ClientImport(Base):
    """One CSV import of client organisations: its options, progress and report.

    Progress is written in its own short transactions while the import runs, so another
    request sees it; the clients themselves commit with the import's final state."""

    __tablename__ = "client_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    created_by: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # True exactly when mode is dry_run (kept from before mode took dry_run).
    dry_run: Mapped[bool] = mapped_column(Boolean)
    # dry_run | all_or_nothing | skip_bad_rows (chassis.csv_import.IMPORT_MODES)
    mode: Mapped[str] = mapped_column(String(20))
    # running → checked (dry run) | completed | rejected (all_or_nothing with bad rows) | failed
    status: Mapped[str] = mapped_column(String(20))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # [{row, errors: {column: [reason, ...]}}, ...] in file order.
    bad_rows: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    ignored_columns: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
