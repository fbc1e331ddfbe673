"""The chassis' background jobs table (chassis.jobs).

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-30
"""

from alembic import op

from chassis.migrations import create_background_jobs, drop_background_jobs

revision = "notifications_0002"
down_revision = "notifications_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_background_jobs(op)


def downgrade() -> None:
    drop_background_jobs(op)
