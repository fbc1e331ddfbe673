"""attempts: failed sign-ins counted per email (whether or not an account has it) and reset
requests per client address; the per-account counter columns they replace are dropped.

Revision ID: identity_0006
Revises: identity_0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attempts_action_key_at", "attempts", ["action", "key", "at"])
    op.create_index("ix_attempts_at", "attempts", ["at"])
    op.drop_column("accounts", "failed_sign_ins")
    op.drop_column("accounts", "locked_until")


def downgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "accounts",
        sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False),
    )
    op.drop_index("ix_attempts_at", table_name="attempts")
    op.drop_index("ix_attempts_action_key_at", table_name="attempts")
    op.drop_table("attempts")
