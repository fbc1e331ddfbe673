"""A narrower workers row for the search's scan: identity's availability document is no longer
kept (the read model keeps what it says as weekly minutes and the days that differ, and nothing
read the document back); about half of each row's bytes. A fillfactor below 100 leaves room on
each page for a changed score or status (a HOT update: no new index entries, the page pruned
in place), so the copies of scores do not bloat the table. CLUSTER rewrites the table in that
shape at once, with each CBO's workers together.

And how many workers each CBO has (worker_counts), kept by statement triggers over the rows a
statement inserted or deleted (a rebuild's bulk writes included), so staff's search learns
how many are left out without counting 100,000 rows. A worker's CBO never changes (booking
ignores an event that would move one), so updates need no trigger.

Revision ID: booking_0050
Revises: booking_0031
Create Date: 2026-11-30 08:40:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "booking_0050"
down_revision = "booking_0031"
branch_labels = None
depends_on = None


COUNTS = """
CREATE TABLE worker_counts (
  tenant_id varchar(36) PRIMARY KEY,
  workers integer NOT NULL
);
CREATE FUNCTION booking_workers_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO worker_counts (tenant_id, workers)
  SELECT tenant_id, count(*) FROM added GROUP BY tenant_id ORDER BY tenant_id
  ON CONFLICT (tenant_id) DO UPDATE SET workers = worker_counts.workers + EXCLUDED.workers;
  RETURN NULL;
END $$;
CREATE FUNCTION booking_workers_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE worker_counts c SET workers = c.workers - r.n
  FROM (SELECT tenant_id, count(*) AS n FROM removed GROUP BY tenant_id) r
  WHERE c.tenant_id = r.tenant_id;
  RETURN NULL;
END $$;
CREATE FUNCTION booking_workers_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM worker_counts;
  RETURN NULL;
END $$;
CREATE TRIGGER workers_counted_in AFTER INSERT ON workers
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION booking_workers_added();
CREATE TRIGGER workers_counted_out AFTER DELETE ON workers
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION booking_workers_removed();
CREATE TRIGGER workers_emptied AFTER TRUNCATE ON workers
  FOR EACH STATEMENT EXECUTE FUNCTION booking_workers_emptied();
INSERT INTO worker_counts (tenant_id, workers)
  SELECT tenant_id, count(*) FROM workers GROUP BY tenant_id;
"""

UNCOUNT = """
DROP TRIGGER workers_emptied ON workers;
DROP TRIGGER workers_counted_out ON workers;
DROP TRIGGER workers_counted_in ON workers;
DROP FUNCTION booking_workers_emptied();
DROP FUNCTION booking_workers_removed();
DROP FUNCTION booking_workers_added();
DROP TABLE worker_counts;
"""


def upgrade() -> None:
    op.drop_column("workers", "availability")
    op.execute("ALTER TABLE workers SET (fillfactor = 90)")
    op.execute("CLUSTER workers USING ix_workers_tenant_name")
    op.execute(COUNTS)


def downgrade() -> None:
    op.execute(UNCOUNT)
    op.execute("ALTER TABLE workers RESET (fillfactor)")
    op.add_column(
        "workers",
        sa.Column("availability", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
