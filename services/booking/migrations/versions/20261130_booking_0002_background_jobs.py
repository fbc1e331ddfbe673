"""The chassis' background jobs table (chassis.jobs).

Revision ID: booking_0002
Revises: booking_0001
Create Date: 2026-11-30
"""

from alembic import op

from chassis.migrations import create_background_jobs, drop_background_jobs

revision = "booking_0002"
down_revision = "booking_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_background_jobs(op)


def downgrade() -> None:
    drop_background_jobs(op)
