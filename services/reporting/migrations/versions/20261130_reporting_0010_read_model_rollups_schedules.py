"""Reporting's read model (CBOs, partnerships, clients, job types, sources, workers, shifts,
places, visits), its replay log, the daily rollups and totals, workers' weeks and months, the
activity entries, and the scheduled deliveries with one row per occurrence.

Revision ID: reporting_0010
Revises: reporting_0002
Create Date: 2026-11-30 08:27:52.603428
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "reporting_0010"
down_revision = "reporting_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_entries",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_activity_tenant_actor",
        "activity_entries",
        ["tenant_id", "actor_id", "at"],
        unique=False,
    )
    op.create_index("ix_activity_tenant_at", "activity_entries", ["tenant_id", "at"], unique=False)
    op.create_table(
        "cbo_records",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "client_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_client_records_tenant_id"), "client_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "daily_rollups",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("registered", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("approved", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_booked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minutes_booked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_cancelled", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_filled", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fill_minutes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("places_completed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minutes_worked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("no_shows", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("late_cancellations", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_started", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_completed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_exhausted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("visits", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("visits_with_exceptions", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "job_type_id", "source_id", "client_id"),
    )
    op.create_table(
        "daily_totals",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("registered", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("approved", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_booked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minutes_booked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_cancelled", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shifts_filled", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("fill_minutes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("places_completed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minutes_worked", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("no_shows", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("late_cancellations", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_started", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_completed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cascades_exhausted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("visits", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("visits_with_exceptions", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day"),
    )
    op.create_table(
        "job_type_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("skills", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_job_type_records_tenant_id"), "job_type_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "active_counts",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "period", "starts_on"),
    )
    op.create_index("ix_active_counts_period", "active_counts", ["period", "starts_on"])
    op.create_table(
        "worker_activity",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("shifts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "period", "starts_on", "worker_id"),
    )
    op.create_index("ix_daily_totals_day", "daily_totals", ["day"])
    op.create_table(
        "parked_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(op.f("ix_parked_events_shift_id"), "parked_events", ["shift_id"], unique=False)
    op.create_table(
        "partnership_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("proposer_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("shares", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_partnership_records_partner_id"),
        "partnership_records",
        ["partner_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_partnership_records_proposer_id"),
        "partnership_records",
        ["proposer_id"],
        unique=False,
    )
    op.create_table(
        "place_records",
        sa.Column("assignment_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_table(
        "received_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("occurrence_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_starts_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_report_deliveries_due", "report_deliveries", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        op.f("ix_report_deliveries_schedule_id"), "report_deliveries", ["schedule_id"], unique=False
    )
    op.create_index(
        op.f("ix_report_deliveries_tenant_id"), "report_deliveries", ["tenant_id"], unique=False
    )
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.String(length=254)), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("file_format", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_report_schedules_due", "report_schedules", ["active", "next_run_at"], unique=False
    )
    op.create_index(
        op.f("ix_report_schedules_tenant_id"), "report_schedules", ["tenant_id"], unique=False
    )
    op.create_table(
        "shift_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "source_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_source_records_tenant_id"), "source_records", ["tenant_id"], unique=False
    )
    op.create_table(
        "visit_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("started", sa.Boolean(), nullable=False),
        sa.Column("excepted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "worker_periods",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.String(length=5), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("job_type_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("shifts", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.Column("gross_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "period", "starts_on", "worker_id", "job_type_id"),
    )
    op.create_table(
        "worker_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("skills", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_worker_records_tenant_id"), "worker_records", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_daily_totals_day", table_name="daily_totals")
    op.drop_table("worker_activity")
    op.drop_index("ix_active_counts_period", table_name="active_counts")
    op.drop_table("active_counts")
    op.drop_index(op.f("ix_parked_events_shift_id"), table_name="parked_events")
    op.drop_table("parked_events")
    op.drop_index(op.f("ix_worker_records_tenant_id"), table_name="worker_records")
    op.drop_table("worker_records")
    op.drop_table("worker_periods")
    op.drop_table("visit_records")
    op.drop_index(op.f("ix_source_records_tenant_id"), table_name="source_records")
    op.drop_table("source_records")
    op.drop_table("shift_records")
    op.drop_index(op.f("ix_report_schedules_tenant_id"), table_name="report_schedules")
    op.drop_index("ix_report_schedules_due", table_name="report_schedules")
    op.drop_table("report_schedules")
    op.drop_index(op.f("ix_report_deliveries_tenant_id"), table_name="report_deliveries")
    op.drop_index(op.f("ix_report_deliveries_schedule_id"), table_name="report_deliveries")
    op.drop_index("ix_report_deliveries_due", table_name="report_deliveries")
    op.drop_table("report_deliveries")
    op.drop_table("received_events")
    op.drop_table("place_records")
    op.drop_index(op.f("ix_partnership_records_proposer_id"), table_name="partnership_records")
    op.drop_index(op.f("ix_partnership_records_partner_id"), table_name="partnership_records")
    op.drop_table("partnership_records")
    op.drop_index(op.f("ix_job_type_records_tenant_id"), table_name="job_type_records")
    op.drop_table("job_type_records")
    op.drop_table("daily_totals")
    op.drop_table("daily_rollups")
    op.drop_index(op.f("ix_client_records_tenant_id"), table_name="client_records")
    op.drop_table("client_records")
    op.drop_table("cbo_records")
    op.drop_index("ix_activity_tenant_at", table_name="activity_entries")
    op.drop_index("ix_activity_tenant_actor", table_name="activity_entries")
    op.drop_table("activity_entries")
