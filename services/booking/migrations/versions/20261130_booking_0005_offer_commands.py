"""Offers: the idempotent commands other services send about an offer (rebooking's
expire_offer) and their answers; a job seeker's offers by time.

Revision ID: booking_0005
Revises: booking_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "booking_0005"
down_revision = "booking_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_commands",
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("command", sa.String(length=30), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index("ix_offers_worker_created", "offers", ["worker_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_offers_worker_created", table_name="offers")
    op.drop_table("offer_commands")
