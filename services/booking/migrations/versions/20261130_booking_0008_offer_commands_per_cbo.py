"""An offer command's idempotency key is its CBO's: the key is (tenant_id, idempotency_key).

Revision ID: booking_0008
Revises: booking_0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "booking_0008"
down_revision = "booking_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("offer_commands_pkey", "offer_commands", type_="primary")
    op.create_primary_key("offer_commands_pkey", "offer_commands", ["tenant_id", "idempotency_key"])


def downgrade() -> None:
    op.drop_constraint("offer_commands_pkey", "offer_commands", type_="primary")
    op.create_primary_key("offer_commands_pkey", "offer_commands", ["idempotency_key"])
