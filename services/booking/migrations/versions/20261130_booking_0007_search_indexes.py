"""Indexes the worker search reads by (services/booking/search/domain.py).

- workers (tenant_id, name in byte order, id): a page of the workers left out, in name order,
  stops after the page instead of sorting the whole CBO;
- assignments and pending offers by the worker's CBO and their end, for the live ones: the
  overlaps, and the hours booked in the weeks asked for, read only the searched CBOs' workers'
  rows that end after the request starts (the past grows every day, the future does not);
- worker_days by date and CBO: the exceptions on the dates asked for.

Revision ID: booking_0007
Revises: booking_0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "booking_0007"
down_revision = "booking_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE INDEX ix_workers_tenant_name ON workers (tenant_id, (name COLLATE "C"), id)')
    op.execute(
        "CREATE INDEX ix_assignments_live_ends ON assignments (worker_tenant_id, ends_at) "
        "WHERE status IN ('booked', 'completed')"
    )
    op.execute(
        "CREATE INDEX ix_offers_pending_ends ON offers (worker_tenant_id, ends_at) "
        "WHERE status = 'sent'"
    )
    op.execute("CREATE INDEX ix_worker_days_date_tenant ON worker_days (on_date, tenant_id)")


def downgrade() -> None:
    for name in (
        "ix_worker_days_date_tenant",
        "ix_offers_pending_ends",
        "ix_assignments_live_ends",
        "ix_workers_tenant_name",
    ):
        op.execute(f"DROP INDEX {name}")
