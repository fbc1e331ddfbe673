"""Rebooking's tables: clients' preferences, the licence read model (licences, CBO time
zones), offers' deadline timers, cascades and their steps.

Revision ID: rebooking_0003
Revises: rebooking_0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "rebooking_0003"
down_revision = "rebooking_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cascades",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("trigger_worker_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
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
    )
    op.create_index(
        "ix_cascades_tenant_created", "cascades", ["tenant_id", "created_at"], unique=False
    )
    op.create_index(
        "uq_cascades_active_shift",
        "cascades",
        ["shift_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "cbo_records",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "licence_records",
        sa.Column("licence_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("feature", sa.String(length=30), nullable=False),
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
    op.create_index(
        "ix_licence_records_tenant_feature",
        "licence_records",
        ["tenant_id", "feature"],
        unique=False,
    )
    op.create_table(
        "offer_deadlines",
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.PrimaryKeyConstraint("offer_id"),
    )
    op.create_index(
        "ix_offer_deadlines_due",
        "offer_deadlines",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "rebooking_preferences",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("preferred_worker_ids", postgresql.ARRAY(sa.String(length=36)), nullable=False),
        sa.Column("use_ranking", sa.Boolean(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("confirmation_window_minutes", sa.Integer(), nullable=False),
        sa.Column("min_lead_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
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
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    )
    op.create_table(
        "cascade_steps",
        sa.Column("cascade_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cascade_id"],
            ["cascades.id"],
        ),
        sa.PrimaryKeyConstraint("cascade_id", "attempt"),
        sa.UniqueConstraint("offer_id"),
    )


def downgrade() -> None:
    op.drop_table("cascade_steps")
    op.drop_table("rebooking_preferences")
    op.drop_index(
        "ix_offer_deadlines_due",
        table_name="offer_deadlines",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("offer_deadlines")
    op.drop_index("ix_licence_records_tenant_feature", table_name="licence_records")
    op.drop_table("licence_records")
    op.drop_table("cbo_records")
    op.drop_index(
        "uq_cascades_active_shift",
        table_name="cascades",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_cascades_tenant_created", table_name="cascades")
    op.drop_table("cascades")
