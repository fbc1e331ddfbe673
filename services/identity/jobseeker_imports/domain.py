"""Bulk import of job seekers from a CSV file.

`create_import` checks the upload at once (type, size, encoding, header: 413, 415 or 422 before
anything is kept), records the import holding the file, and queues its background job
(`IMPORT_JOB`, chassis.jobs) in the same transaction; the entrypoint starts the job once that
commits. The job's step, `import_chunk`, does CHUNK_SIZE records at a time: each step commits
its people, its report rows, its events, the import's counts and the job's checkpoint
(`{"phase", "position"}`) together, so a run that crashes is resumed at the last committed
chunk (by the runner's sweep, or `resume_import`) and nobody is written twice.

Modes:
- dry_run: every row is checked (schema, worker source, duplicates in the file, emails already
  registered) and reported; nobody is written.
- all_or_nothing: the same check first; any bad row rejects the file and nobody is written.
  Otherwise the people are written (an interrupted write is resumed, not rolled back: every
  row already passed the check; a row that turns bad in between, because somebody registered
  its email meanwhile, is reported and skipped).
- skip_bad_rows: good rows are written, bad rows reported.

The import's status is read from its job (see rules.import_status): queued, running and
interrupted as the job is; a job that succeeded shows the result its last step recorded on the
import (completed, or rejected).

A person is matched by email within the CBO: an existing job seeker is updated with the row's
non-empty cells or skipped (`on_existing`), and the report says which. New people get invited
accounts (no password, so no argon2 per row) through core bulk inserts and one invitation each.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from chassis import jobs
from chassis.audit import audit
from chassis.context import JOBSEEKER, Caller
from chassis.csv_import import CsvTable, RowResult, decode_csv, read_csv_upload
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound
from chassis.jobs import Job, JobKind, StepResult
from chassis.paging import page_rows
from chassis.tables import background_jobs
from services.identity.accounts import invitations
from services.identity.accounts.models import Account
from services.identity.base import new_id
from services.identity.jobseeker_imports import rules
from services.identity.jobseeker_imports.models import JobseekerImport, JobseekerImportRow
from services.identity.jobseeker_imports.rules import COMPLETED, REJECTED, VALIDATING, WRITING
from services.identity.jobseeker_imports.schemas import CSV_ALIASES, CsvRowSchema
from services.identity.jobseekers.domain import JOBSEEKER_ROLE, profile_event
from services.identity.jobseekers.models import JobseekerProfile, empty_availability
from services.identity.jobseekers.rules import PENDING
from services.identity.tenants import domain as tenants
from services.identity.tenants.models import SourceRef

CHUNK_SIZE = 2000  # records per step: about a second, well inside the lease
MAX_ROWS = 100_000
FAILED_ROWS_SHOWN = 1000

# A CSV row's fields that land on the profile (the account keeps email and name).
_PROFILE_COLUMNS = ("phone", "preferred_language", "languages", "home_area", "skills")

# What jobseeker.profile_changed says of a profile (besides the account's name).
_PUBLISHED_COLUMNS = ("skills", "languages", "home_area", "source_id", "availability", "status")

_ROW_SCHEMA = CsvRowSchema()
# Core tables for the bulk statements: SQLAlchemy's ORM bulk path costs more per row.
_PROFILES = cast(Table, JobseekerProfile.__table__)
_ACCOUNTS = cast(Table, Account.__table__)
_IMPORTS = cast(Table, JobseekerImport.__table__)
_REPORT_ROWS = cast(Table, JobseekerImportRow.__table__)
_JOBS = background_jobs.c


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


# -- starting, reading, resuming -------------------------------------------------------------


def create_import(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    upload: object,
    mode: str,
    on_existing: str,
) -> JobseekerImport:
    """Check the upload, record the import and queue its job; the caller starts the job
    (`job_id`) once this transaction has committed."""
    filename, data = read_csv_upload(upload)
    table = open_table(data)
    import_id = new_id()
    job_id = jobs.enqueue(
        uow,
        IMPORT_JOB,
        tenant_id=tenant_id,
        params={"import_id": import_id},
        created_by=caller.user_id,
        total=table.total,
    )
    imported = JobseekerImport(
        id=import_id,
        tenant_id=tenant_id,
        created_by=caller.user_id,
        job_id=job_id,
        filename=filename,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        mode=mode,
        on_existing=on_existing,
        result=None,
        rows_total=table.total,
        created=0,
        updated=0,
        skipped=0,
        failed=0,
        ignored_columns=list(table.ignored_columns),
    )
    uow.session.add(imported)
    uow.session.flush()
    audit(
        uow,
        caller,
        action="jobseekers.import_started",
        entity_type="jobseeker_import",
        entity_id=import_id,
        after={
            "filename": filename,
            "rows": table.total,
            "mode": mode,
            "on_existing": on_existing,
            "sha256": imported.sha256,
        },
        tenant_id=tenant_id,
    )
    return imported


def _find(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> JobseekerImport:
    return owned_row(
        uow, JobseekerImport, tenant_id=tenant_id, row_id=import_id, what="import in this CBO"
    )


def _with_jobs() -> Select[Any]:
    """Imports with what their jobs say of them."""
    return select(
        JobseekerImport,
        _JOBS.status,
        _JOBS.checkpoint,
        _JOBS.done,
        _JOBS.error,
        _JOBS.started_at,
        _JOBS.finished_at,
    ).join(background_jobs, _JOBS.id == JobseekerImport.job_id)


def _row_view(row: JobseekerImportRow) -> dict[str, Any]:
    return {
        "row": row.row,
        "outcome": row.outcome,
        "email": row.email,
        "jobseeker_id": row.jobseeker_id,
        "errors": row.errors,
    }


def _view(found: Any) -> dict[str, Any]:
    """An import as ImportSummarySchema shows it, from a row of `_with_jobs()`."""
    imported: JobseekerImport = found.JobseekerImport
    view: dict[str, Any] = {
        name: getattr(imported, name)
        for name in (
            "id",
            "filename",
            "size_bytes",
            "mode",
            "on_existing",
            "rows_total",
            "created",
            "updated",
            "skipped",
            "failed",
            "created_at",
        )
    }
    view.update(
        status=rules.import_status(found.status, imported.result),
        phase=rules.import_phase(imported.mode, found.status, found.checkpoint),
        rows_done=found.done,
        error=found.error,
        started_at=found.started_at,
        finished_at=found.finished_at,
        ignored_columns=list(imported.ignored_columns or []),
    )
    return view


def get_import(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> dict[str, Any]:
    """An import's progress (as its last committed step left it), counts and first bad rows."""
    found = uow.session.execute(
        _with_jobs().where(JobseekerImport.id == import_id, JobseekerImport.tenant_id == tenant_id)
    ).one_or_none()
    if found is None:
        raise NotFound("There is no such import in this CBO.")
    view = _view(found)
    rows = uow.session.execute(
        select(JobseekerImportRow)
        .where(JobseekerImportRow.import_id == import_id, JobseekerImportRow.outcome == "failed")
        .order_by(JobseekerImportRow.row)
        .limit(FAILED_ROWS_SHOWN)
    ).scalars()
    view["failed_rows"] = [_row_view(r) for r in rows]
    return view


def list_imports(uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int) -> dict:
    query = (
        _with_jobs()
        .where(JobseekerImport.tenant_id == tenant_id)
        .order_by(JobseekerImport.created_at.desc(), JobseekerImport.id)
    )
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_view)


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
    _find(uow, tenant_id=tenant_id, import_id=import_id)
    base = select(JobseekerImportRow).where(JobseekerImportRow.import_id == import_id)
    if outcome:
        base = base.where(JobseekerImportRow.outcome == outcome)
    query = base.order_by(JobseekerImportRow.row)
    return page_rows(uow.session, query, page=page, per_page=per_page, view=_row_view)


def resume_import(uow: UnitOfWork, *, tenant_id: str, import_id: str) -> str:
    """Queue an interrupted import's job again (or one whose run died, before a sweep found
    it); returns the job's id for the caller to start once this transaction has committed. It
    continues after its last committed chunk. 409 if it has finished or is running."""
    imported = _find(uow, tenant_id=tenant_id, import_id=import_id)
    if imported.result is not None:
        raise Conflict(f"This import is already {imported.result}.")
    jobs.resume(uow, job_id=imported.job_id, tenant_id=tenant_id)
    return imported.job_id


# -- the job's step --------------------------------------------------------------------------


def import_chunk(
    uow: UnitOfWork, *, job: Job, import_id: str, chunk_size: int = CHUNK_SIZE
) -> StepResult:
    """One step of an import's job: the next `chunk_size` records of the phase its checkpoint
    names (checked, or checked and written), with the import's counts and report. The step that
    ends a check goes on to write (or ends a dry run, or rejects a bad all-or-nothing file);
    the step that ends the writing records the result. The runner commits it all together
    with the new checkpoint, or nothing."""
    reading = _reading(uow, job, import_id)
    mode, total = reading.mode, reading.table.total
    phase = job.checkpoint["phase"] if job.checkpoint else rules.first_phase(mode)
    position = job.checkpoint["position"] if job.checkpoint else 0
    rows = reading.take(phase, position, chunk_size)
    outcomes = _classify(uow, reading.ctx, rows)
    if phase == WRITING:
        _create_people(uow, reading.ctx, [o for o in outcomes if o.kind == "create"])
        if reading.ctx.on_existing == "update":
            _update_people(uow, [o for o in outcomes if o.kind == "existing"])
    report = _report_rows(import_id, reading.ctx, outcomes)
    if report:
        uow.session.execute(insert(_REPORT_ROWS), report)
    counts = _add_counts(uow, import_id, _count(reading.ctx, outcomes))
    end = position + len(rows)
    if end < total:
        return StepResult(end, total, {"phase": phase, "position": end})
    if phase == VALIDATING:
        result = rules.after_validation(mode, failed=counts.failed)
        if result is None:
            # The check passed: its report and "would create / update" counts give way to
            # the writing's, from the first record.
            uow.session.execute(
                delete(JobseekerImportRow).where(JobseekerImportRow.import_id == import_id)
            )
            _set_counts(uow, import_id, _Counts())
            return StepResult(0, total, {"phase": WRITING, "position": 0})
        if result == REJECTED:
            # Nobody was written: the check's "would create / update" counts do not stand.
            counts = _set_counts(uow, import_id, _Counts(failed=counts.failed))
    else:
        result = COMPLETED
    _finish(uow, import_id, result, counts, rows=total)
    return StepResult(end, total, {"phase": phase, "position": end}, finished=True)


# The kind of job that runs an import (the runner on IdentityService runs it). A step is a
# chunk of about a second, so a run that stops renewing its lease for a minute has died.
IMPORT_JOB = JobKind("jobseekers.import", import_chunk, lease=timedelta(seconds=60))


@dataclass
class _Reading:
    """What a run keeps between its steps (in `job.cache`): the file read once, the CBO's
    worker sources, and the file's records being read from where the last step stopped."""

    mode: str
    table: CsvTable
    ctx: _Context
    records: Iterator[RowResult] | None = None
    # The (phase, position) `records` stands at; a step starting elsewhere reads afresh.
    at: tuple[str, int] | None = None

    def take(self, phase: str, position: int, size: int) -> list[RowResult]:
        if self.records is None or self.at != (phase, position):
            self.records = self.table.rows(position)
        rows = list(itertools.islice(self.records, size))
        self.at = (phase, position + len(rows))
        return rows


def _reading(uow: UnitOfWork, job: Job, import_id: str) -> _Reading:
    """The run's reading of the file: the import's stored file, read once per run."""
    reading = job.cache.get("reading")
    if reading is None:
        imported = uow.session.get(JobseekerImport, import_id)
        if imported is None:
            raise jobs.JobFailed("The import's record is gone.")
        reading = _Reading(imported.mode, open_table(imported.content), _context(uow, imported))
        job.cache["reading"] = reading
    return cast(_Reading, reading)


def _add_counts(uow: UnitOfWork, import_id: str, counts: _Counts) -> _Counts:
    """Add a chunk's counts to the import's; returns the import's new counts."""
    added = uow.session.execute(
        update(_IMPORTS)
        .where(_IMPORTS.c.id == import_id)
        .values(
            created=_IMPORTS.c.created + counts.created,
            updated=_IMPORTS.c.updated + counts.updated,
            skipped=_IMPORTS.c.skipped + counts.skipped,
            failed=_IMPORTS.c.failed + counts.failed,
        )
        .returning(_IMPORTS.c.created, _IMPORTS.c.updated, _IMPORTS.c.skipped, _IMPORTS.c.failed)
    ).one()
    return _Counts(*added)


def _set_counts(uow: UnitOfWork, import_id: str, counts: _Counts) -> _Counts:
    uow.session.execute(
        update(_IMPORTS)
        .where(_IMPORTS.c.id == import_id)
        .values(
            created=counts.created,
            updated=counts.updated,
            skipped=counts.skipped,
            failed=counts.failed,
        )
    )
    return counts


def _finish(uow: UnitOfWork, import_id: str, result: str, counts: _Counts, *, rows: int) -> None:
    """Record what the import came to, and audit it in its creator's name."""
    imported = uow.session.execute(
        update(_IMPORTS)
        .where(_IMPORTS.c.id == import_id)
        .values(result=result)
        .returning(_IMPORTS.c.tenant_id, _IMPORTS.c.created_by, _IMPORTS.c.mode)
    ).one()
    creator = Caller(kind="staff", user_id=imported.created_by, tenant_id=imported.tenant_id)
    audit(
        uow,
        creator,
        action=f"jobseekers.import_{result}",
        entity_type="jobseeker_import",
        entity_id=import_id,
        after={
            "mode": imported.mode,
            "rows": rows,
            "created": counts.created,
            "updated": counts.updated,
            "skipped": counts.skipped,
            "failed": counts.failed,
        },
        tenant_id=imported.tenant_id,
    )


# -- the rows of a chunk ---------------------------------------------------------------------


@dataclass
class _Context:
    tenant_id: str
    tenant_name: str | None
    on_existing: str
    # A worker source by id, or by its name without case.
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    result: RowResult
    kind: str  # create | existing | failed | skipped
    errors: dict[str, list[str]] | None = None
    account_id: str | None = None
    source_id: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The row's loaded data ({} for a row that failed its schema)."""
        return self.result.data or {}


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


def _context(uow: UnitOfWork, imported: JobseekerImport) -> _Context:
    tenant = tenants.tenant_by_id(uow, tenant_id=imported.tenant_id)
    ctx = _Context(imported.tenant_id, tenant.name if tenant else None, imported.on_existing)
    for source_id, name in uow.session.execute(
        select(SourceRef.source_id, SourceRef.name).where(SourceRef.tenant_id == imported.tenant_id)
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
    emails = {o.data["email"].lower(): o for o in outcomes if o.kind == "create"}
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


def _report_rows(import_id: str, ctx: _Context, outcomes: list[_Outcome]) -> list[dict]:
    rows = []
    for o in outcomes:
        if o.kind == "create":
            continue
        email = o.data.get("email") or o.result.raw.get("email")
        rows.append(
            {
                "import_id": import_id,
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
                    "email": o.data["email"],
                    "display_name": o.data["name"].strip(),
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
                **{name: o.data[name] for name in _PROFILE_COLUMNS},
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
    uow.emit_many(
        "jobseeker.profile_changed",
        [
            (
                profile_event(
                    cast(str, o.account_id),
                    o.data["name"].strip(),
                    {**o.data, "source_id": o.source_id, "status": PENDING},
                ),
                ctx.tenant_id,
            )
            for o in created
        ],
    )
    invitations.invite_many(
        uow,
        invitees=[Invitee(cast(str, o.account_id), ctx.tenant_id) for o in created],
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
        data, raw = o.data, o.result.raw
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
    for changed, params in groups.items():
        uow.session.execute(
            # Core (not ORM) update: an executemany keyed on the WHERE's bound id.
            update(_PROFILES)
            .where(_PROFILES.c.account_id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in changed}),
            params,
        )
    if names:
        uow.session.execute(
            update(_ACCOUNTS)
            .where(_ACCOUNTS.c.id == bindparam("_id"))
            .values(display_name=bindparam("_name")),
            names,
        )
        _profiles_changed(uow, [n["_id"] for n in names])


def _profiles_changed(uow: UnitOfWork, account_ids: list[str]) -> None:
    """jobseeker.profile_changed for each person a chunk updated, as they are now (one query)."""
    found = uow.session.execute(
        select(
            _ACCOUNTS.c.id,
            _ACCOUNTS.c.display_name,
            _PROFILES.c.tenant_id,
            *(_PROFILES.c[c] for c in _PUBLISHED_COLUMNS),
        )
        .join(_PROFILES, _PROFILES.c.account_id == _ACCOUNTS.c.id)
        .where(_ACCOUNTS.c.id.in_(account_ids))
        .order_by(_ACCOUNTS.c.id)
    ).mappings()
    uow.emit_many(
        "jobseeker.profile_changed",
        [
            (profile_event(row["id"], row["display_name"], dict(row)), row["tenant_id"])
            for row in found
        ],
    )
