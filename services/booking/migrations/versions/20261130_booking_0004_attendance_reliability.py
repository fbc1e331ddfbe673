"""Attendance marks (each outcome marked, corrections included), entries voided by a
correction, one open reliability review per worker, and pending appeals found quickly.

Revision ID: booking_0004
Revises: booking_0003
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_0004"
down_revision = "booking_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance_marks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("assignment_id", sa.String(length=36), nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("minutes_late", sa.Integer(), nullable=True),
        sa.Column("corrects", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("marked_by", sa.String(length=36), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_attendance_marks_assignment",
        "attendance_marks",
        ["assignment_id", "marked_at"],
        unique=False,
    )
    op.add_column(
        "reliability_entries", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "reliability_entries", sa.Column("void_reason", sa.String(length=500), nullable=True)
    )
    op.create_index(
        "ix_reliability_entries_pending_appeals",
        "reliability_entries",
        ["tenant_id", "appealed_at"],
        unique=False,
        postgresql_where=sa.text("appeal_status = 'pending'"),
    )
    op.create_index(
        "uq_reliability_reviews_open",
        "reliability_reviews",
        ["worker_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_reliability_reviews_open", table_name="reliability_reviews")
    op.drop_index(
        "ix_reliability_entries_pending_appeals",
        table_name="reliability_entries",
        postgresql_where=sa.text("appeal_status = 'pending'"),
    )
    op.drop_column("reliability_entries", "void_reason")
    op.drop_column("reliability_entries", "voided_at")
    op.drop_index("ix_attendance_marks_assignment", table_name="attendance_marks")
    op.drop_table("attendance_marks")
