"""The chassis' background jobs table (chassis.jobs).

It also joins identity's two heads (accounts and job seekers) into one.

Revision ID: identity_0004
Revises: identity_0003, identity_0103
Create Date: 2026-11-30
"""

from alembic import op

from chassis.migrations import create_background_jobs, drop_background_jobs

revision = "identity_0004"
down_revision = ("identity_0003", "identity_0103")
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_background_jobs(op)


def downgrade() -> None:
    drop_background_jobs(op)
