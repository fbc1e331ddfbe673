"""The chassis' background jobs table (chassis.jobs).

Revision ID: tenancy_0004
Revises: tenancy_0003
Create Date: 2026-11-30
"""

from alembic import op

from chassis.migrations import create_background_jobs, drop_background_jobs

revision = "tenancy_0004"
down_revision = "tenancy_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_background_jobs(op)


def downgrade() -> None:
    drop_background_jobs(op)
