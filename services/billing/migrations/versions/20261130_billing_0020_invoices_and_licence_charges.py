"""Billing's invoices (client and licence), their lines (one live invoice per thing billed:
a partial unique index), the number counters, clients' invoicing settings; the licence read
model, CBO names and the operator's licence prices.

Revision ID: billing_0020
Revises: billing_0011
Create Date: 2026-11-30 08:26:33.895270
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0020"
down_revision = "billing_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cbo_names",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "client_invoicing",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("evv_elements", sa.Boolean(), nullable=False),
        sa.Column("bill_premiums", sa.Boolean(), nullable=False),
        sa.Column("terms_days", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    )
    op.create_table(
        "invoice_counters",
        sa.Column("series", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "kind"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("series", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("issuer_name", sa.String(length=200), nullable=False),
        sa.Column("bill_to_name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("evv_elements", sa.Boolean(), nullable=False),
        sa.Column("terms_days", sa.Integer(), nullable=False),
        sa.Column("base_cents", sa.BigInteger(), nullable=False),
        sa.Column("premium_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_reference", sa.String(length=200), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("replaces_id", sa.String(length=36), nullable=True),
        sa.Column("replaced_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series", "sequence", name="uq_invoices_series_sequence"),
    )
    op.create_index(
        "ix_invoices_tenant_client", "invoices", ["tenant_id", "client_id"], unique=False
    )
    op.create_index(
        "ix_invoices_tenant_period", "invoices", ["tenant_id", "period_start"], unique=False
    )
    op.create_table(
        "licence_prices",
        sa.Column("feature", sa.String(length=40), nullable=False),
        sa.Column("monthly_cents", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("feature"),
    )
    op.create_table(
        "licence_records",
        sa.Column("licence_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("feature", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("licence_id"),
    )
    op.create_index("ix_licence_records_tenant", "licence_records", ["tenant_id"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("job_type_id", sa.String(length=36), nullable=True),
        sa.Column("job_type_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("rate_cents", sa.Integer(), nullable=True),
        sa.Column("base_cents", sa.BigInteger(), nullable=False),
        sa.Column("premium_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("premiums", sa.JSON(), nullable=True),
        sa.Column("evv", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"], unique=False
    )
    op.create_index(
        "uq_invoice_lines_live_source",
        "invoice_lines",
        ["tenant_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("live"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_invoice_lines_live_source", table_name="invoice_lines", postgresql_where=sa.text("live")
    )
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_licence_records_tenant", table_name="licence_records")
    op.drop_table("licence_records")
    op.drop_table("licence_prices")
    op.drop_index("ix_invoices_tenant_period", table_name="invoices")
    op.drop_index("ix_invoices_tenant_client", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
    op.drop_table("client_invoicing")
    op.drop_table("cbo_names")
