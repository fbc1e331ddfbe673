"""Billing's read model of timesheet lines (CBOs, workers with payroll ids, clients, job types,
shifts, visits, lines, late cancellations) and clients' rates and markups.

Revision ID: billing_0010
Revises: billing_0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0010"
down_revision = "billing_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cancellation_records",
        sa.Column("assignment_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("worker_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("minutes_before_start", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_index(
        "ix_cancellation_records_tenant", "cancellation_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "cbo_records",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "client_markups",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("markup_basis_points", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    )
    op.create_table(
        "client_rates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("pay_rate_cents", sa.Integer(), nullable=True),
        sa.Column("bill_rate_cents", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "client_id", "job_type_id"),
    )
    op.create_table(
        "client_records",
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index(
        op.f("ix_client_records_tenant_id"), "client_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "job_type_records",
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("pay_rate_cents", sa.Integer(), nullable=False),
        sa.Column("bill_rate_cents", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_type_id"),
    )
    op.create_index(
        op.f("ix_job_type_records_tenant_id"), "job_type_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "line_records",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("timesheet_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("worker_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("scheduled_minutes", sa.Integer(), nullable=False),
        sa.Column("worked_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("approved_by", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    op.create_index(
        "ix_line_records_tenant_week", "line_records", ["tenant_id", "week_start"], unique=False
    )
    op.create_table(
        "shift_records",
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pay_rate_cents", sa.Integer(), nullable=False),
        sa.Column("bill_rate_cents", sa.Integer(), nullable=False),
        sa.Column("pay_rate_given", sa.Boolean(), nullable=False),
        sa.Column("bill_rate_given", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("shift_id"),
    )
    op.create_index(
        "ix_shift_records_tenant_starts", "shift_records", ["tenant_id", "starts_at"], unique=False
    )
    op.create_table(
        "visit_records",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("worker_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("must_fix_open", sa.Integer(), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    op.create_index(
        "ix_visit_records_tenant_starts", "visit_records", ["tenant_id", "starts_at"], unique=False
    )
    op.create_table(
        "worker_records",
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("payroll_id", sa.String(length=40), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_index(
        op.f("ix_worker_records_tenant_id"), "worker_records", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_records_tenant_id"), table_name="worker_records")
    op.drop_table("worker_records")
    op.drop_index("ix_visit_records_tenant_starts", table_name="visit_records")
    op.drop_table("visit_records")
    op.drop_index("ix_shift_records_tenant_starts", table_name="shift_records")
    op.drop_table("shift_records")
    op.drop_index("ix_line_records_tenant_week", table_name="line_records")
    op.drop_table("line_records")
    op.drop_index(op.f("ix_job_type_records_tenant_id"), table_name="job_type_records")
    op.drop_table("job_type_records")
    op.drop_index(op.f("ix_client_records_tenant_id"), table_name="client_records")
    op.drop_table("client_records")
    op.drop_table("client_rates")
    op.drop_table("client_markups")
    op.drop_table("cbo_records")
    op.drop_index("ix_cancellation_records_tenant", table_name="cancellation_records")
    op.drop_table("cancellation_records")
