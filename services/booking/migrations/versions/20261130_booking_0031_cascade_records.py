"""Market watch: rebooking's cascades as its events tell them (cascade_records).

Revision ID: booking_0031
Revises: booking_0030
Create Date: 2026-11-30 05:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_0031"
down_revision = "booking_0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cascade_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("shift_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(40)),
        sa.Column("reason", sa.String(40)),
        sa.Column("worker_id", sa.String(36)),
        sa.Column("deadline_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_cascade_records_tenant_state", "cascade_records", ["tenant_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_cascade_records_tenant_state", table_name="cascade_records")
    op.drop_table("cascade_records")
