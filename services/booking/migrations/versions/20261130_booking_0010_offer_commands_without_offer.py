"""offer_commands.offer_id may be empty: rebooking's offer_next keeps its answer under its key
even when it made no offer (no candidate, the shift filled ...).

Revision ID: booking_0010
Revises: booking_0009
Create Date: 2026-11-30
"""

from alembic import op

revision = "booking_0010"
down_revision = "booking_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("offer_commands", "offer_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM offer_commands WHERE offer_id IS NULL")
    op.alter_column("offer_commands", "offer_id", nullable=False)
