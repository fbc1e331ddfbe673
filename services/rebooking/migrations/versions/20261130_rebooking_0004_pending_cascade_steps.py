"""Cascade steps booking could not take when their event came, kept for the timer to try
again with the same idempotency key.

Revision ID: rebooking_0004
Revises: rebooking_0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "rebooking_0004"
down_revision = "rebooking_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_cascade_steps",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_pending_cascade_steps_due", "pending_cascade_steps", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_cascade_steps_due", table_name="pending_cascade_steps")
    op.drop_table("pending_cascade_steps")
