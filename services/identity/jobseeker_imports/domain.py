"""Bulk import of job seekers from a CSV file.

`create_import` checks the upload at once (type, size, encoding, header: 413, 415 or 422 before
anything is kept) and records an import job holding the file. `run_import` then does the work,
outside any request, in chunks of CHUNK_SIZE records; each chunk commits its people, its report
rows, its events and the job's new position together, so a run that crashes is started again at
the last committed position and nobody is written twice.

Modes:
- dry_run: every row is checked (schema, worker source, duplicates in the file, emails already
  registered) and reported; nobody is written.
- all_or_nothing: the same check first; any bad row rejects the file and nobody is written.
  Otherwise the people are written (an interrupted write is resumed, not rolled back: every
  row already passed the check; a row that turns bad in between, because somebody registered
  its email meanwhile, is reported and skipped).
- skip_bad_rows: good rows are written, bad rows reported.

A person is matched by email within the CBO: an existing job seeker is updated with the row's
non-empty cells or skipped (`on_existing`), and the report says which. New people get invited
accounts (no password, so no argon2 per row) through core bulk inserts and one invitation each.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from chassis.audit import audit
from chassis.context import JOBSEEKER, Caller
from chassis.csv_import import Chunk, CsvTable, RowResult, decode_csv, process, read_csv_upload
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from services.identity.accounts import invitations
from services.identity.accounts.models import Account
from services.identity.base import new_id
from services.identity.jobseeker_imports.models import JobseekerImport, JobseekerImportRow
from services.identity.jobseeker_imports.schemas import CSV_ALIASES, CsvRowSchema
from services.identity.jobseekers.domain import JOBSEEKER_ROLE
from services.identity.jobseekers.models import JobseekerProfile, empty_availability
from services.identity.jobseekers.rules import PENDING
from services.identity.tenants import domain as tenants
from services.identity.tenants.models import SourceRef

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
MAX_ROWS = 100_000
LEASE = timedelta(seconds=60)  # renewed by every chunk (about a second each)
FAILED_ROWS_SHOWN = 1000

QUEUED = "queued"
RUNNING = "running"
INTERRUPTED = "interrupted"  # an error stopped it; resumable
COMPLETED = "completed"
REJECTED = "rejected"  # all_or_nothing found bad rows: nobody was written
FINISHED = (COMPLETED, REJECTED)

VALIDATING = "validating"
WRITING = "writing"

# A CSV row's fields that land on the profile (the account keeps email and name).
_PROFILE_COLUMNS = ("phone", "preferred_language", "languages", "home_area", "skills")

_ROW_SCHEMA = CsvRowSchema()
# Core tables for the bulk statements: SQLAlchemy's ORM bulk path costs more per row.
_PROFILES = JobseekerProfile.__table__
_ACCOUNTS = Account.__table__
_REPORT_ROWS = JobseekerImportRow.__table__


class Invitee(NamedTuple):
    id: str
    tenant_id: str


def open_table(data: bytes) -> CsvTable:
    """The file read against the row schema; a 422 ValidationFailed if it cannot be."""
    return CsvTable(
        decode_csv(data),
        _ROW_SCHEMA,
        aliases=CSV_ALIASES,
        unique=("email",),
        max_rows=MAX_ROWS,
    )


# -- starting and reading --------------------------------------------------------------------


def create_import(
    uow: UnitOfWork,
    caller: Caller,
    *,
    tenant_id: str,
    upload: object,
    mode: str,
    on_existing: str,
) -> JobseekerImport:
    """Check the upload and record the import job (queued); run_import does the work."""
    filename, data = read_csv_upload(upload)
    table = open_table(data)
    job = JobseekerImport(
        id=new_id(),
        tenant_id=tenant_id,
        created_by=caller.user_id,
        filename=filename,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        mode=mode,
        on_existing=on_existing,
        status=QUEUED,
        phase=QUEUED,
        rows_total=table.total,
        rows_done=0,
        position=0,
        created=0,
        updated=0,
        skipped=0,
        failed=0,
        ignored_columns=list(table.ignored_columns),
        attempts=0,
    )
    uow.session.add(job)
    uow.session.flush()
    uow.session.refresh(job, ["created_at"])
    audit(
        uow,
        caller,
        action="jobseekers.import_started",
        entity_type="jobseeker_import",
        entity_id=job.id,
        after={
            "filename": filename,
            "rows": table.total,
            "mode": mode,
            "on_existing": on_existing,
            "sha256": job.sha256,
        },
        tenant_id=tenant_id,
    )
    return job


def get_import(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> JobseekerImport:
    job = uow.session.execute(
        select(JobseekerImport).where(
            JobseekerImport.id == import_id, JobseekerImport.tenant_id == tenant_id
        )
    ).scalar_one_or_none()
    if job is None:
        raise NotFound("There is no such import in this CBO.")
    return job


def _row_view(row: JobseekerImportRow) -> dict[str, Any]:
    return {
        "row": row.row,
        "outcome": row.outcome,
        "email": row.email,
        "jobseeker_id": row.jobseeker_id,
        "errors": row.errors,
    }


def import_view(uow: UnitOfWork, job: JobseekerImport, *, with_rows: bool = True) -> dict:
    view: dict[str, Any] = {
        name: getattr(job, name)
        for name in (
            "id",
            "filename",
            "size_bytes",
            "mode",
            "on_existing",
            "status",
            "phase",
            "rows_total",
            "rows_done",
            "created",
            "updated",
            "skipped",
            "failed",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )
    }
    view["ignored_columns"] = list(job.ignored_columns or [])
    if with_rows:
        rows = uow.session.execute(
            select(JobseekerImportRow)
            .where(JobseekerImportRow.import_id == job.id, JobseekerImportRow.outcome == "failed")
            .order_by(JobseekerImportRow.row)
            .limit(FAILED_ROWS_SHOWN)
        ).scalars()
        view["failed_rows"] = [_row_view(r) for r in rows]
    return view


def list_imports(uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int) -> dict:
    base = select(JobseekerImport).where(JobseekerImport.tenant_id == tenant_id)
    total = uow.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    jobs = uow.session.execute(
        base.order_by(JobseekerImport.created_at.desc(), JobseekerImport.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return {
        "items": [import_view(uow, job, with_rows=False) for job in jobs],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def import_rows(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    import_id: str,
    outcome: str | None = None,
    page: int = 1,
    per_page: int = 100,
) -> dict:
    """The import's report, row by row: bad rows with reasons, people updated or skipped."""
    get_import(uow, tenant_id=tenant_id, import_id=import_id)
    base = select(JobseekerImportRow).where(JobseekerImportRow.import_id == import_id)
    if outcome:
        base = base.where(JobseekerImportRow.outcome == outcome)
    total = uow.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = uow.session.execute(
        base.order_by(JobseekerImportRow.row).limit(per_page).offset((page - 1) * per_page)
    ).scalars()
    return {
        "items": [_row_view(r) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def prepare_resume(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> JobseekerImport:
    """Check that an import may be started again (interrupted, or its run's lease lapsed)."""
    job = get_import(uow, tenant_id=tenant_id, import_id=import_id)
    if job.status in FINISHED:
        raise Conflict(f"This import is already {job.status}.")
    if job.status == RUNNING and job.lease_until and job.lease_until > datetime.now(UTC):
        raise Conflict("This import is running; follow its progress instead.")
    return job


# -- running ---------------------------------------------------------------------------------


@dataclass
class _Context:
    tenant_id: str
    tenant_name: str | None
    on_existing: str
    # The job's `attempts` when this run claimed it: the run owns the job while it still is.
    attempt: int = 0
    # A worker source by id, or by its name without case.
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    result: RowResult
    kind: str  # create | existing | failed | skipped
    errors: dict[str, list[str]] | None = None
    account_id: str | None = None
    source_id: str | None = None


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


def _context(uow: UnitOfWork, job: JobseekerImport) -> _Context:
    tenant = tenants.tenant_by_id(uow, job.tenant_id)
    ctx = _Context(job.tenant_id, tenant.name if tenant else None, job.on_existing, job.attempts)
    for source_id, name in uow.session.execute(
        select(SourceRef.source_id, SourceRef.name).where(SourceRef.tenant_id == job.tenant_id)
    ):
        ctx.sources.setdefault(name.strip().casefold(), source_id)
        ctx.sources[source_id.casefold()] = source_id
    return ctx


def _classify(uow: UnitOfWork, ctx: _Context, rows: Sequence[RowResult]) -> list[_Outcome]:
    """What each row of a chunk would do: create a person, meet an existing one, or fail."""
    outcomes = []
    for result in rows:
        if not result.ok:
            outcomes.append(_Outcome(result, "failed", errors=result.errors))
            continue
        data = result.data or {}
        source_id = None
        if data.get("source"):
            source_id = ctx.sources.get(data["source"].casefold())
            if source_id is None:
                outcomes.append(
                    _Outcome(
                        result,
                        "failed",
                        errors={"source": [f"This CBO has no worker source {data['source']!r}."]},
                    )
                )
                continue
        outcomes.append(_Outcome(result, "create", source_id=source_id))
    emails = {o.result.data["email"].lower(): o for o in outcomes if o.kind == "create"}
    if emails:
        # One query per chunk, on the (tenant, lower(email)) unique index.
        found = uow.session.execute(
            select(Account.id, Account.kind, func.lower(Account.email)).where(
                func.coalesce(Account.tenant_id, "") == ctx.tenant_id,
                func.lower(Account.email).in_(list(emails)),
            )
        )
        for account_id, kind, email in found:
            outcome = emails[email]
            if kind != JOBSEEKER:
                outcome.kind = "failed"
                outcome.errors = {"email": ["Already registered to a staff or client account."]}
            else:
                outcome.kind = "existing"
                outcome.account_id = account_id
    return outcomes


def _report_rows(job_id: str, ctx: _Context, outcomes: list[_Outcome]) -> list[dict]:
    rows = []
    for o in outcomes:
        if o.kind == "create":
            continue
        email = (o.result.data or {}).get("email") or o.result.raw.get("email")
        rows.append(
            {
                "import_id": job_id,
                "row": o.result.row,
                "outcome": _existing_outcome(ctx) if o.kind == "existing" else o.kind,
                "email": email[:254] if email else None,
                "jobseeker_id": o.account_id,
                "errors": o.errors,
            }
        )
    return rows


def _existing_outcome(ctx: _Context) -> str:
    return "updated" if ctx.on_existing == "update" else "skipped"


def _count(ctx: _Context, outcomes: list[_Outcome]) -> _Counts:
    counts = _Counts()
    for o in outcomes:
        if o.kind == "create":
            counts.created += 1
        elif o.kind == "failed":
            counts.failed += 1
        elif o.kind == "existing" and ctx.on_existing == "update":
            counts.updated += 1
        else:
            counts.skipped += 1
    return counts


def _create_people(uow: UnitOfWork, ctx: _Context, outcomes: list[_Outcome]) -> list[_Outcome]:
    """Bulk-insert invited accounts and their profiles; returns the rows that lost a race with
    somebody registering the same email meanwhile (reported as skipped)."""
    if not outcomes:
        return []
    for o in outcomes:
        o.account_id = new_id()
    inserted = set(
        uow.session.execute(
            pg_insert(_ACCOUNTS)
            .on_conflict_do_nothing(
                index_elements=[text("coalesce(tenant_id, '')"), text("lower(email)")]
            )
            .returning(_ACCOUNTS.c.id),
            [
                {
                    "id": o.account_id,
                    "tenant_id": ctx.tenant_id,
                    "email": o.result.data["email"],
                    "display_name": o.result.data["name"].strip(),
                    "kind": JOBSEEKER,
                    "roles": [JOBSEEKER_ROLE],
                    "status": "invited",
                    "password_hash": None,
                }
                for o in outcomes
            ],
        ).scalars()
    )
    created = [o for o in outcomes if o.account_id in inserted]
    lost = [o for o in outcomes if o.account_id not in inserted]
    if not created:
        return lost
    uow.session.execute(
        insert(_PROFILES),
        [
            {
                "account_id": o.account_id,
                "tenant_id": ctx.tenant_id,
                **{name: o.result.data[name] for name in _PROFILE_COLUMNS},
                "source_id": o.source_id,
                "availability": empty_availability(),
                "status": PENDING,
                "channel": "import",
            }
            for o in created
        ],
    )
    uow.emit_many(
        "account.created",
        [
            (
                {"account_id": o.account_id, "kind": JOBSEEKER, "roles": [JOBSEEKER_ROLE]},
                ctx.tenant_id,
            )
            for o in created
        ],
    )
    uow.emit_many(
        "jobseeker.registered",
        [
            (
                {"jobseeker_id": o.account_id, "source_id": o.source_id, "channel": "import"},
                ctx.tenant_id,
            )
            for o in created
        ],
    )
    invitations.invite_many(
        uow,
        [Invitee(o.account_id, ctx.tenant_id) for o in created],  # type: ignore[arg-type]
        tenant_name=ctx.tenant_name,
    )
    for o in lost:
        o.kind = "skipped"
        o.errors = {"email": ["Registered by somebody else while the import ran."]}
    return lost


def _update_people(uow: UnitOfWork, outcomes: list[_Outcome]) -> None:
    """Apply each row's non-empty cells to the existing person (empty cells change nothing)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    names: list[dict] = []
    for o in outcomes:
        data, raw = o.result.data or {}, o.result.raw
        columns = [c for c in _PROFILE_COLUMNS if c in raw]
        if "preferred_language" in raw and "languages" not in raw:
            columns.append("languages")
        values = {c: data[c] for c in columns}
        if "source" in raw:
            values["source_id"] = o.source_id
        if values:
            groups.setdefault(tuple(sorted(values)), []).append(
                {"_id": o.account_id, **{f"_{k}": v for k, v in values.items()}}
            )
        names.append({"_id": o.account_id, "_name": data["name"].strip()})
    for columns, params in groups.items():
        uow.session.execute(
            # Core (not ORM) update: an executemany keyed on the WHERE's bound id.
            update(_PROFILES)
            .where(_PROFILES.c.account_id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in columns}),
            params,
        )
    if names:
        uow.session.execute(
            update(_ACCOUNTS)
            .where(_ACCOUNTS.c.id == bindparam("_id"))
            .values(display_name=bindparam("_name")),
            names,
        )


def _claim(uow: UnitOfWork, import_id: str, now: datetime) -> JobseekerImport | None:
    """Take the job for this run, unless it is finished or another run holds its lease."""
    job = uow.session.execute(
        select(JobseekerImport).where(JobseekerImport.id == import_id).with_for_update()
    ).scalar_one_or_none()
    if job is None or job.status in FINISHED:
        return None
    if job.status == RUNNING and job.lease_until and job.lease_until > now:
        return None
    job.status = RUNNING
    job.error = None
    job.lease_until = now + LEASE
    job.attempts += 1
    job.started_at = job.started_at or now
    if job.phase == QUEUED:
        job.phase = VALIDATING if job.mode in ("dry_run", "all_or_nothing") else WRITING
    return job


class _LostClaim(Exception):
    """Another run claimed the job (this one's lease lapsed): this run must write nothing more."""


def _check_claim(job: JobseekerImport, ctx: _Context) -> None:
    if job.attempts != ctx.attempt or job.status != RUNNING:
        raise _LostClaim(job.id)


def _save_chunk(
    uow: UnitOfWork, job_id: str, ctx: _Context, chunk: Chunk, counts: _Counts, report: list
) -> None:
    if report:
        uow.session.execute(insert(_REPORT_ROWS), report)
    # The update locks the job's row: a run that has lost its claim matches nothing, and the
    # chunk's people, events and report roll back with it.
    saved = uow.session.execute(
        update(JobseekerImport)
        .where(
            JobseekerImport.id == job_id,
            JobseekerImport.attempts == ctx.attempt,
            JobseekerImport.status == RUNNING,
            JobseekerImport.position == chunk.start,
        )
        .values(
            position=chunk.end,
            rows_done=chunk.end,
            created=JobseekerImport.created + counts.created,
            updated=JobseekerImport.updated + counts.updated,
            skipped=JobseekerImport.skipped + counts.skipped,
            failed=JobseekerImport.failed + counts.failed,
            lease_until=datetime.now(UTC) + LEASE,
        )
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:
        raise _LostClaim(job_id)


def run_import(
    new_unit: Callable[[], UnitOfWork],
    import_id: str,
    *,
    chunk_size: int = CHUNK_SIZE,
    before_commit: Callable[[Chunk], None] | None = None,
) -> str | None:
    """Run (or resume) an import to its end; returns its final status, or None if it was not
    this run's to do (finished, or running elsewhere). `before_commit` is called with each
    chunk just before it commits (progress hooks; tests raise from it to simulate a crash).

    An exception leaves the job `interrupted` at its last committed chunk and is re-raised."""
    with _unit(new_unit) as uow:
        job = _claim(uow, import_id, datetime.now(UTC))
        if job is None:
            return None
        data = job.content
        ctx = _context(uow, job)
        phase, position, mode = job.phase, job.position, job.mode
        uow.commit()
    try:
        table = open_table(data)
        if phase == VALIDATING:
            _run_phase(new_unit, import_id, ctx, table, position, chunk_size, False, before_commit)
            status = _after_validation(new_unit, import_id, ctx, mode)
            if status is not None:
                return status
            position = 0
        _run_phase(new_unit, import_id, ctx, table, position, chunk_size, True, before_commit)
        return _finish(new_unit, import_id, ctx, COMPLETED)
    except _LostClaim:
        log.warning("import %s was taken over by another run; this one stops", import_id)
        return None
    except Exception as exc:
        log.exception("import %s stopped; it can be resumed", import_id)
        with _unit(new_unit) as uow:
            uow.session.execute(
                update(JobseekerImport)
                .where(JobseekerImport.id == import_id, JobseekerImport.attempts == ctx.attempt)
                .values(status=INTERRUPTED, lease_until=None, error=_describe(exc))
            )
            uow.commit()
        raise


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"Stopped by an error ({message[:500]}); start it again to continue."


def _run_phase(
    new_unit: Callable[[], UnitOfWork],
    import_id: str,
    ctx: _Context,
    table: CsvTable,
    start: int,
    chunk_size: int,
    write: bool,
    before_commit: Callable[[Chunk], None] | None,
) -> None:
    def handle(chunk: Chunk) -> None:
        with _unit(new_unit) as uow:
            outcomes = _classify(uow, ctx, chunk.rows)
            if write:
                creating = [o for o in outcomes if o.kind == "create"]
                _create_people(uow, ctx, creating)
                if ctx.on_existing == "update":
                    _update_people(uow, [o for o in outcomes if o.kind == "existing"])
            _save_chunk(
                uow,
                import_id,
                ctx,
                chunk,
                _count(ctx, outcomes),
                _report_rows(import_id, ctx, outcomes),
            )
            if before_commit is not None:
                before_commit(chunk)
            uow.commit()

    process(table, handle, chunk_size=chunk_size, start=start)


def _after_validation(
    new_unit: Callable[[], UnitOfWork], import_id: str, ctx: _Context, mode: str
) -> str | None:
    """End a dry run, reject a bad all-or-nothing file, or clear the check's report and
    counters and go on to write."""
    with _unit(new_unit) as uow:
        job = uow.session.get(JobseekerImport, import_id, with_for_update=True)
        assert job is not None
        _check_claim(job, ctx)
        if mode == "dry_run":
            status = COMPLETED
        elif job.failed:
            # Nobody was written: the check's "would create / update" counts do not stand.
            status = REJECTED
            job.created = job.updated = job.skipped = 0
            uow.commit()
        else:
            uow.session.execute(
                delete(JobseekerImportRow).where(JobseekerImportRow.import_id == import_id)
            )
            job.phase = WRITING
            job.position = job.rows_done = 0
            job.created = job.updated = job.skipped = job.failed = 0
            uow.commit()
            return None
    return _finish(new_unit, import_id, ctx, status)


def _finish(new_unit: Callable[[], UnitOfWork], import_id: str, ctx: _Context, status: str) -> str:
    with _unit(new_unit) as uow:
        job = uow.session.get(JobseekerImport, import_id, with_for_update=True)
        assert job is not None
        _check_claim(job, ctx)
        job.status = status
        job.lease_until = None
        job.finished_at = datetime.now(UTC)
        creator = Caller(kind="staff", user_id=job.created_by, tenant_id=job.tenant_id)
        audit(
            uow,
            creator,
            action=f"jobseekers.import_{status}",
            entity_type="jobseeker_import",
            entity_id=job.id,
            after={
                "mode": job.mode,
                "rows": job.rows_total,
                "created": job.created,
                "updated": job.updated,
                "skipped": job.skipped,
                "failed": job.failed,
            },
            tenant_id=job.tenant_id,
        )
        uow.commit()
    return status


@contextmanager
def _unit(new_unit: Callable[[], UnitOfWork]) -> Iterator[UnitOfWork]:
    """A unit of work that is always closed (rolled back unless committed)."""
    uow = new_unit()
    try:
        yield uow
    finally:
        uow.close()


def interrupted_imports(uow: UnitOfWork, now: datetime | None = None) -> list[str]:
    """Imports that a crashed process left behind: queued, or running with a lapsed lease."""
    now = now or datetime.now(UTC)
    return list(
        uow.session.execute(
            select(JobseekerImport.id)
            .where(
                (JobseekerImport.status == QUEUED)
                | (
                    (JobseekerImport.status == RUNNING)
                    & (
                        (JobseekerImport.lease_until.is_(None))
                        | (JobseekerImport.lease_until < now)
                    )
                )
            )
            .order_by(JobseekerImport.created_at)
        ).scalars()
    )
