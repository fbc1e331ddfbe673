"""Partner sharing: opportunity_shares (a shift shared with a partner CBO) and the share an
offer was made under (offers.share_id).

Revision ID: booking_0020
Revises: booking_0010
Create Date: 2026-11-30 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_0020"
down_revision = "booking_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opportunity_shares",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("shift_id", sa.String(36), sa.ForeignKey("shifts.id"), nullable=False),
        sa.Column("partner_tenant_id", sa.String(36), nullable=False),
        sa.Column("partnership_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("shared_by", sa.String(36)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(500)),
        sa.Column("filled_worker_id", sa.String(36)),
        sa.Column("assignment_id", sa.String(36)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index(
        "ix_opportunity_shares_tenant", "opportunity_shares", ["tenant_id", "created_at"]
    )
    op.create_index(
        "ix_opportunity_shares_partner", "opportunity_shares", ["partner_tenant_id", "status"]
    )
    op.create_index(
        "ix_opportunity_shares_partnership", "opportunity_shares", ["partnership_id", "status"]
    )
    op.create_index(
        "uq_opportunity_shares_live",
        "opportunity_shares",
        ["shift_id", "partner_tenant_id"],
        unique=True,
        postgresql_where=sa.text("status = 'shared'"),
    )
    op.add_column("offers", sa.Column("share_id", sa.String(36)))
    op.create_index(
        "ix_offers_share", "offers", ["share_id"], postgresql_where=sa.text("share_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_offers_share", table_name="offers")
    op.drop_column("offers", "share_id")
    op.drop_table("opportunity_shares")
