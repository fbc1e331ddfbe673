"""The read model of workers keeps when the newest event applied to each record happened, so
that an older event arriving later (retries, one queue per event type) changes nothing.
Revision ID: booking_0006
Revises: booking_0005
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_0006"
down_revision = "booking_0005"
branch_labels = None
depends_on = None

COLUMNS = {
    "cbo_records": ("status_event_at", "timezone_event_at"),
    "workers": ("profile_event_at", "status_event_at", "active_event_at"),
    "source_records": ("event_at",),
    "client_records": ("event_at",),
    "partnership_records": ("event_at",),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(column, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column)
