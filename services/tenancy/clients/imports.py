"""Importing client organisations from a CSV file (chassis.csv_import reads and checks it).

The options are chassis.csv_import's, the same for every import (`mode`):
- A malformed file (not CSV, not UTF-8, missing columns, no rows, too many rows) is refused
  with a 4xx before anything is kept.
- dry_run (the default): every row is checked and every bad row reported with its reasons; no
  client is written. A suspended CBO may still check a file.
- all_or_nothing: one bad row and no client is written (status `rejected`, with the report).
- skip_bad_rows: good rows are written, bad rows reported.
- A row naming a client the CBO already has (same name and billing email, case aside) is
  counted as `existing` and not written again, so a file can be imported again safely.
- Progress (rows done, created, existing, failed) is written in its own short transactions
  as the rows go by, so GET …/imports/{id} shows it while the import runs; the clients commit
  together with the import's final state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chassis.audit import audit
from chassis.context import Caller
from chassis.csv_import import (
    Chunk,
    CsvTable,
    Progress,
    decode_csv,
    process,
    read_csv_upload,
)
from chassis.db import UnitOfWork, owned_row
from chassis.paging import page_rows
from services.tenancy.base import new_id
from services.tenancy.clients.domain import EDITABLE, clean
from services.tenancy.clients.models import Client, ClientImport
from services.tenancy.clients.schemas import CLIENT_CSV_ALIASES, ClientCsvRowSchema
from services.tenancy.common import active_tenant

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
CHUNK_SIZE = 500

_ROW_SCHEMA = ClientCsvRowSchema()
# A client row holds what staff may edit, no more.
_COLUMNS = EDITABLE


@contextmanager
def side_unit(uow: UnitOfWork) -> Iterator[Session]:
    """A short transaction of its own beside `uow`'s, on the same database: what it writes is
    visible to others at once, whatever becomes of `uow`."""
    session = Session(bind=uow.session.get_bind(), expire_on_commit=False)
    try:
        # Never wait long on a row `uow` holds: that wait would be on ourselves.
        session.execute(text("SET LOCAL lock_timeout = '5s'"))
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _key(name: str, email: str) -> tuple[str, str]:
    return name.strip().lower(), email.strip().lower()


def _existing_keys(uow: UnitOfWork, tenant_id: str) -> set[tuple[str, str]]:
    rows = uow.session.execute(
        select(func.lower(Client.name), func.lower(Client.billing_email)).where(
            Client.tenant_id == tenant_id
        )
    )
    return {(name, email) for name, email in rows}


class _Run:
    """The state of one import while its rows go by."""

    def __init__(self, uow: UnitOfWork, tenant_id: str, job_id: str, *, write: bool) -> None:
        self.uow = uow
        self.tenant_id = tenant_id
        self.job_id = job_id
        self.write = write  # write good rows chunk by chunk (skip_bad_rows, not a dry run)
        self.known = _existing_keys(uow, tenant_id)
        self.first_row: dict[tuple[str, str], int] = {}
        self.pending: list[dict[str, Any]] = []  # good new rows not written yet
        self.bad_rows: list[dict[str, Any]] = []
        self.created = 0
        self.existing = 0

    def handle(self, chunk: Chunk) -> None:
        for result in chunk.rows:
            if not result.ok:
                self.bad_rows.append({"row": result.row, "errors": result.errors})
                continue
            data = clean(result.data or {})  # an ok row always has its data
            key = _key(data["name"], data["billing_email"])
            if key in self.first_row:
                self.bad_rows.append(
                    {
                        "row": result.row,
                        "errors": {"name": [f"Repeats row {self.first_row[key]}."]},
                    }
                )
                continue
            self.first_row[key] = result.row
            if key in self.known:
                self.existing += 1
                continue
            self.pending.append({"id": new_id(), "tenant_id": self.tenant_id, **data})
        if self.write:
            self.flush()

    def flush(self) -> None:
        """Insert the pending rows; a client registered meanwhile by somebody else counts as
        existing (the unique index decides, never a duplicate)."""
        for start in range(0, len(self.pending), CHUNK_SIZE):
            batch = self.pending[start : start + CHUNK_SIZE]
            values = [{c: row.get(c) for c in ("id", "tenant_id", *_COLUMNS)} for row in batch]
            inserted = self.uow.session.execute(
                pg_insert(Client)
                .values(values)
                .on_conflict_do_nothing()
                .returning(Client.id, Client.name, Client.kind)
            ).all()
            self.created += len(inserted)
            self.existing += len(batch) - len(inserted)
            self.uow.emit_many(
                "client.registered",
                [
                    (
                        {"client_id": i.id, "name": i.name, "kind": i.kind, "channel": "import"},
                        self.tenant_id,
                    )
                    for i in inserted
                ],
            )
        self.pending = []

    def progress(self, progress: Progress) -> None:
        with side_unit(self.uow) as session:
            session.execute(
                update(ClientImport)
                .where(ClientImport.id == self.job_id)
                .values(
                    rows_done=progress.done,
                    created=self.created,
                    existing=self.existing,
                    failed=len(self.bad_rows),
                )
            )


def run_import(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, file: object, mode: str
) -> ClientImport:
    """Check the file, then run it as `mode` says; returns the import with its report."""
    dry_run = mode == "dry_run"
    if not dry_run:
        active_tenant(uow, tenant_id=tenant_id)
    filename, data = read_csv_upload(file, max_bytes=MAX_BYTES)
    table = CsvTable(decode_csv(data), _ROW_SCHEMA, aliases=CLIENT_CSV_ALIASES, max_rows=MAX_ROWS)
    job = ClientImport(
        id=new_id(),
        tenant_id=tenant_id,
        created_by=caller.user_id,
        filename=filename,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        dry_run=dry_run,
        mode=mode,
        status="running",
        rows_total=table.total,
        rows_done=0,
        created=0,
        existing=0,
        failed=0,
        bad_rows=[],
        ignored_columns=list(table.ignored_columns),
    )
    # Recorded at once, in its own transaction, so its progress can be followed.
    with side_unit(uow) as session:
        session.add(job)
    run = _Run(uow, tenant_id, job.id, write=not dry_run and mode == "skip_bad_rows")
    try:
        process(table, run.handle, chunk_size=CHUNK_SIZE, on_progress=run.progress)
        if dry_run:
            status = "checked"
        elif mode == "all_or_nothing" and run.bad_rows:
            status = "rejected"
            run.pending = []
        else:
            status = "completed"
            run.flush()
    except BaseException:
        # Nothing of this run commits (the caller's transaction rolls back); say so.
        with side_unit(uow) as session:
            session.execute(
                update(ClientImport)
                .where(ClientImport.id == job.id)
                .values(status="failed", finished_at=datetime.now(UTC))
            )
        raise
    # The final state commits with the clients (or with nothing, for a check or a rejection).
    final = uow.session.merge(job)
    final.status = status
    final.rows_done = table.total
    final.created = run.created
    final.existing = run.existing
    final.failed = len(run.bad_rows)
    final.bad_rows = run.bad_rows
    final.finished_at = datetime.now(UTC)
    uow.session.flush()
    uow.session.refresh(final)
    if not dry_run:
        audit(
            uow,
            caller,
            action="clients.import",
            entity_type="client_import",
            entity_id=job.id,
            after={
                "filename": filename,
                "sha256": job.sha256,
                "mode": mode,
                "status": status,
                "rows": table.total,
                "created": run.created,
                "existing": run.existing,
                "failed": len(run.bad_rows),
            },
        )
    return final


def get_import(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> ClientImport:
    return owned_row(uow, ClientImport, tenant_id=tenant_id, row_id=import_id, what="import")


def list_imports(uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int) -> dict[str, Any]:
    """A page of the CBO's imports, newest first ({items, total, page, per_page})."""
    statement = (
        select(ClientImport)
        .where(ClientImport.tenant_id == tenant_id)
        .order_by(ClientImport.created_at.desc(), ClientImport.id)
    )
    return page_rows(uow.session, statement, page=page, per_page=per_page)
