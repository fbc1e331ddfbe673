"""The deadline sweep takes the cascade's step with the expiry: each timer knows its offer's
client (whose preferences the step follows) and when the sweep took the step (offer.expired's
handler then does not); a kept step remembers the key it was sent with.

Revision ID: rebooking_0010
Revises: rebooking_0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "rebooking_0010"
down_revision = "rebooking_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("offer_deadlines", sa.Column("client_id", sa.String(length=36), nullable=True))
    op.add_column(
        "offer_deadlines", sa.Column("stepped_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Steps kept before this revision were sent with their event's key (rules.step_key).
    op.add_column(
        "pending_cascade_steps",
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("pending_cascade_steps", "idempotency_key")
    op.drop_column("offer_deadlines", "stepped_at")
    op.drop_column("offer_deadlines", "client_id")
