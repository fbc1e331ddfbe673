"""The chassis' tables: outbox, processed events, dead letters.

Revision ID: notifications_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from chassis.migrations import create_chassis_tables, drop_chassis_tables

revision = "notifications_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_chassis_tables(op)


def downgrade() -> None:
    drop_chassis_tables(op)
