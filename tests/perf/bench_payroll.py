"""A payroll run for a big CBO: 10,000 workers with 5 approved shifts each (nine hours a day,
Monday to Friday, for two clients: daily overtime and a missed meal period every day), from the
preview to the four export files, beside a bare read of the same 50,000 timesheet rows in the
same run (the floor: what reading the week costs at all).

Billing's read model is seeded straight into a bench database (generate_series: the events that
would build it are not what is measured), then the two background jobs run as the service runs
them (chassis.jobs.run_job: claim, steps, each step one transaction): the preview (every
worker's week through the pay rules, blockers, the items paid) and the completion (what was paid
recorded, the files made, payroll.completed in the outbox). Printed: seconds, the ratio to the
floor, SQL statements, and the Python process's CPU seconds; `--profile` prints where the time
goes (cProfile, cumulative).

    python -m tests.perf payroll [--workers 10000] [--shifts 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import uuid
from datetime import date

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.config import Settings
from chassis.db import UnitOfWork, ensure_database, make_engine
from chassis.jobs import run_job
from chassis.migrations import upgrade
from services.billing.payroll import domain as payroll
from services.billing.payroll.models import COMPLETED, PayrollRun

DATABASE = "worklb_bench_payroll_billing"
WEEK = date(2026, 11, 16)  # a Monday
LIMIT_SECONDS = 10.0
KINDS = {payroll.PREVIEW.name: payroll.PREVIEW, payroll.COMPLETE.name: payroll.COMPLETE}


def seed(engine, tenant_id: str, workers: int, shifts: int) -> float:
    """The read model of one CBO's week: workers, two clients, one job type, and per worker
    `shifts` shifts worked 08:00-17:00 Long Beach time (16:00-01:00 UTC) from Monday, each
    verified with its approved line."""
    started = time.perf_counter()
    params = {"t": tenant_id, "p": tenant_id[:8], "n": workers, "s": shifts, "w": WEEK}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cbo_records (tenant_id, timezone, event_at) "
                "VALUES (:t, 'America/Los_Angeles', now())"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO client_records (client_id, tenant_id, name, kind, event_at) "
                "SELECT :p || '-c' || c, :t, 'Client ' || c, 'business', now() "
                "FROM generate_series(0, 1) AS c"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO job_type_records (job_type_id, tenant_id, key, name, client_id, "
                "pay_rate_cents, bill_rate_cents, event_at) "
                "VALUES (:p || '-j', :t, 'crew', 'Crew', NULL, 2000, 2800, now())"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO worker_records (worker_id, tenant_id, name, payroll_id, event_at) "
                "SELECT :p || '-w' || lpad(i::text, 6, '0'), :t, 'Worker Number' || i, "
                "'E' || i, now() FROM generate_series(1, :n) AS i"
            ),
            params,
        )
        # One row per (worker, day): the shift, the verified visit and the approved line share
        # the id w<worker>-d<day>.
        rows = (
            "FROM generate_series(1, :n) AS i CROSS JOIN generate_series(0, :s - 1) AS d, "
            "LATERAL (SELECT :p || '-w' || lpad(i::text, 6, '0') AS worker, "
            ":p || '-w' || lpad(i::text, 6, '0') || '-d' || d AS id, "
            "(CAST(:w AS date) + d + time '16:00') AT TIME ZONE 'UTC' AS starts) x"
        )
        conn.execute(
            text(
                "INSERT INTO shift_records (shift_id, tenant_id, booking_id, client_id, site_id, "
                "job_type_id, starts_at, ends_at, pay_rate_cents, bill_rate_cents, "
                "pay_rate_given, bill_rate_given) "
                "SELECT x.id, :t, x.id, :p || '-c' || (d % 2), 'site', :p || '-j', x.starts, "
                "x.starts + interval '9 hours', 2000, 2800, false, false " + rows
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO visit_records (visit_id, tenant_id, shift_id, client_id, worker_id, "
                "worker_tenant_id, starts_at, ends_at, clock_in_at, clock_out_at, verified, "
                "must_fix_open, elements, event_at) "
                "SELECT x.id, :t, x.id, :p || '-c' || (d % 2), x.worker, :t, x.starts, "
                "x.starts + interval '9 hours', x.starts, x.starts + interval '9 hours', true, 0, "
                "json_build_object('service_type', 'crew', 'latitude', 33.77, 'longitude', "
                "-118.19), now() " + rows
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO line_records (visit_id, tenant_id, timesheet_id, shift_id, "
                "worker_id, worker_tenant_id, client_id, week_start, scheduled_minutes, "
                "worked_minutes, status, approved_by, version, event_at) "
                "SELECT x.id, :t, x.worker || '-ts' || (d % 2), x.id, x.worker, :t, "
                ":p || '-c' || (d % 2), :w, 540, 540, 'approved', 'evv', 1, now() " + rows
            ),
            params,
        )
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def bare_read(engine, tenant_id: str) -> tuple[float, int]:
    """The floor: the week's approved lines with their shifts and visits, read and fetched."""
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT l.*, s.*, v.* FROM line_records l "
                "JOIN shift_records s ON s.shift_id = l.shift_id "
                "JOIN visit_records v ON v.visit_id = l.visit_id "
                "WHERE l.tenant_id = :t AND l.week_start = :w AND l.status = 'approved'"
            ),
            {"t": tenant_id, "w": WEEK},
        ).all()
    return time.perf_counter() - started, len(rows)


def run(engine, tenant_id: str) -> tuple[float, float, float, dict]:
    """Preview then complete the week; (preview s, complete s, CPU s, the run)."""

    def new_unit() -> UnitOfWork:
        return UnitOfWork(Session(engine, expire_on_commit=False), source="billing")

    cpu = time.process_time()
    started = time.perf_counter()
    uow = new_unit()
    run_, job_id = payroll.start_run(uow, caller=None, tenant_id=tenant_id, week_start=WEEK)
    run_id = run_.id
    uow.commit()
    uow.close()
    assert run_job(new_unit, job_id, KINDS, owner="bench") == "succeeded"
    previewed = time.perf_counter()
    uow = new_unit()
    # Started as the Tuesday schedule starts it: the preview, nothing blocking, queued the
    # completion itself.
    complete_id = uow.session.get(PayrollRun, run_id).complete_job_id  # type: ignore[union-attr]
    uow.close()
    assert complete_id is not None
    assert run_job(new_unit, complete_id, KINDS, owner="bench") == "succeeded"
    completed = time.perf_counter()
    uow = new_unit()
    found = payroll.read_run(uow, tenant_id=tenant_id, run_id=run_id)
    uow.close()
    assert found["status"] == COMPLETED, found
    return previewed - started, completed - previewed, time.process_time() - cpu, found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf payroll", description=__doc__)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--shifts", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    url = settings.database_url("billing").replace(settings.database_name("billing"), DATABASE)
    ensure_database(url)
    upgrade("billing", url)
    engine = make_engine(url, poolclass=NullPool)
    statements = {"n": 0}
    slowest: list[tuple[float, str]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, *_args) -> None:
        statements["n"] += 1
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def timed(conn, cursor, statement, *_args) -> None:
        took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        slowest.append((took, " ".join(statement.split())[:110]))

    tenant_id = str(uuid.uuid4())
    seeded = seed(engine, tenant_id, args.workers, args.shifts)
    lines = args.workers * args.shifts
    floor, read = bare_read(engine, tenant_id)
    assert read == lines, (read, lines)
    statements["n"] = 0
    slowest.clear()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    preview_s, complete_s, cpu_s, found = run(engine, tenant_id)
    if profiler:
        profiler.disable()
    total = preview_s + complete_s
    floor_again, _ = bare_read(engine, tenant_id)
    best_floor = min(floor, floor_again)
    print(
        f"payroll of {args.workers:,} workers x {args.shifts} shifts ({lines:,} lines; seeded "
        f"in {seeded:.1f} s): preview {preview_s:.2f} s + complete with the files "
        f"{complete_s:.2f} s = {total:.2f} s (goal < {LIMIT_SECONDS:.0f} s); bare read of the "
        f"same rows {best_floor:.2f} s (ratio {total / best_floor:.1f}x); "
        f"{statements['n']} SQL statements; Python CPU {cpu_s:.2f} s; "
        f"gross ${found['gross_cents'] / 100:,.2f} for {found['workers']:,} workers",
        flush=True,
    )
    if args.profile:
        print("the slowest statements (wall, this client):")
        for took, statement in sorted(slowest, reverse=True)[:8]:
            print(f"  {took:6.2f} s  {statement}")
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    with engine.begin() as conn:
        for table in (
            "payroll_exports",
            "payroll_lines",
            "payroll_run_items",
            "paid_items",
            "paid_weeks",
            "payroll_runs",
            "line_records",
            "visit_records",
            "shift_records",
            "worker_records",
            "job_type_records",
            "client_records",
            "cbo_records",
            "background_jobs",
            "outbox",
        ):
            conn.execute(text(f"DELETE FROM {table} WHERE tenant_id = :t"), {"t": tenant_id})
    engine.dispose()
    return 0 if total < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
