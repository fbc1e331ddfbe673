"""Job types (roles) a CBO books workers for, and the client-exclusive ones.

The CBO's staff manage them (`bookings.manage`) and read them (`bookings.read`). A client user
(`self.book` or `bookings.read`) sees the CBO-wide ones and their own client's exclusive ones;
to them every other client's exclusive job type does not exist (404, absent from lists). A
job type is never deleted: it is deactivated, and keeps its bookings' history. Each change
emits jobtype.created / jobtype.updated and writes an audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from chassis.audit import audit
from chassis.context import CLIENT, Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, ValidationFailed
from chassis.paging import order_by, page_rows, text_search
from services.booking.common import check_client, client_scope, market_tenant, staff_tenant
from services.booking.jobtypes import rules
from services.booking.jobtypes.models import JobType
from services.booking.sites.domain import client_of_cbo

EDITABLE = (
    "name",
    "description",
    "required_skills",
    "needs_approval",
    "pay_rate_cents",
    "bill_rate_cents",
    "min_shift_minutes",
    "requirements",
    "active",
)
SHOWN = ("id", "key", "client_id", *EDITABLE)

# -- who may act -------------------------------------------------------------------------------


def check_reader(caller: Caller) -> None:
    """Who reads job types: staff with `bookings.read`, a client user with `self.book` or
    `bookings.read` (CBO-wide ones and their own client's). Job seekers never."""
    market_tenant(caller)
    if caller.kind == CLIENT:
        caller.require_any(("self.book", "bookings.read"))
    else:
        caller.require("bookings.read")


def check_manager(caller: Caller) -> None:
    """Who changes job types: the CBO's staff with `bookings.manage`."""
    staff_tenant(caller)
    caller.require("bookings.manage")


# -- reading -----------------------------------------------------------------------------------


def _visible(caller: Caller, statement):
    """`statement` limited to the job types the caller may see."""
    scope = client_scope(caller)
    if scope is None:
        return statement
    return statement.where(or_(JobType.client_id.is_(None), JobType.client_id == scope))


def get_job_type(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, job_type_id: str, lock: bool = False
) -> JobType:
    """A job type of the CBO the caller may see; NotFound for another CBO's and, for a client
    user, for another client's exclusive one."""
    query = select(JobType).where(JobType.id == job_type_id, JobType.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    job_type = uow.session.execute(query).scalar_one_or_none()
    if job_type is None or not rules.visible_to(job_type.client_id, client_scope(caller)):
        raise NotFound("There is no such job type.")
    return job_type


def read_job_type(uow: UnitOfWork, *, caller: Caller, tenant_id: str, job_type_id: str) -> JobType:
    """One job type, for a caller who may read job types (see get_job_type for the scope)."""
    check_reader(caller)
    return get_job_type(uow, caller=caller, tenant_id=tenant_id, job_type_id=job_type_id)


def bookable_job_type(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    job_type_id: str,
    client_id: str | None = None,
) -> JobType:
    """The job type a booking for `client_id` (a client user's own client when left out) may
    use: visible to the caller (else NotFound, so another client's exclusive job type does not
    exist for a client user), active, and CBO-wide or exclusive to that very client (staff
    booking for client B an exclusive job type of client A get a 422 naming `job_type_id`).
    Bookings should always pass `client_id`: staff have no client of their own."""
    job_type = get_job_type(uow, caller=caller, tenant_id=tenant_id, job_type_id=job_type_id)
    for_client = client_id or client_scope(caller)
    if for_client is not None and not rules.bookable_for(job_type.client_id, for_client):
        if client_scope(caller) is not None:
            raise NotFound("There is no such job type.")
        raise ValidationFailed(
            fields={"job_type_id": ["This job type is exclusive to another client."]}
        )
    if not job_type.active:
        raise ValidationFailed(fields={"job_type_id": ["This job type is no longer offered."]})
    return job_type


def list_job_types(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    q: str | None = None,
    client_id: str | None = None,
    for_client: str | None = None,
    exclusive: bool | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """A page of the job types the caller may see ({items, total, page, per_page}).

    `client_id`: only the ones exclusive to that client; `for_client`: the ones that client
    may book (CBO-wide and its own); `exclusive`: only exclusive (true) or only CBO-wide
    (false) ones; `q` searches name, key and description. A client user naming another client
    gets NotFound."""
    check_reader(caller)
    for named in (client_id, for_client):
        if named is not None:
            check_client(caller, named)
    statement = _visible(caller, select(JobType).where(JobType.tenant_id == tenant_id))
    if client_id is not None:
        statement = statement.where(JobType.client_id == client_id)
    if for_client is not None:
        statement = statement.where(
            or_(JobType.client_id.is_(None), JobType.client_id == for_client)
        )
    if exclusive is not None:
        statement = statement.where(
            JobType.client_id.is_not(None) if exclusive else JobType.client_id.is_(None)
        )
    if q:
        statement = statement.where(text_search(q, JobType.name, JobType.key, JobType.description))
    if active is not None:
        statement = statement.where(JobType.active.is_(active))
    columns = {
        "name": func.lower(JobType.name),
        "key": JobType.key,
        "created_at": JobType.created_at,
        "updated_at": JobType.updated_at,
    }
    statement = order_by(statement, sort, columns, JobType.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)


def view(job_type: JobType, *, caller: Caller) -> dict[str, Any]:
    """A job type as the caller is shown it: the pay rate (the worker's, under the CBO's
    margin) is staff's only, as on bookings; a client user sees the bill rate."""
    shown = {
        name: _plain(getattr(job_type, name))
        for name in (*SHOWN, "fixed_pay_rate", "created_at", "updated_at")
    }
    if caller.kind == CLIENT:
        shown["pay_rate_cents"] = None
    return shown


# -- changing ----------------------------------------------------------------------------------


def _recorded(job_type: JobType, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named fields as the API shows them, for the audit trail."""
    return {name: _plain(getattr(job_type, name)) for name in names}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _event(job_type: JobType) -> dict[str, Any]:
    return {
        "job_type_id": job_type.id,
        "key": job_type.key,
        "name": job_type.name,
        "client_id": job_type.client_id,
        "needs_approval": job_type.needs_approval,
        "pay_rate_cents": job_type.pay_rate_cents,
        "bill_rate_cents": job_type.bill_rate_cents,
        "min_shift_minutes": job_type.min_shift_minutes,
        "active": job_type.active,
        "required_skills": list(job_type.required_skills or []),
    }


def _taken(
    uow: UnitOfWork, tenant_id: str, column: Any, value: str, other_than: str | None
) -> bool:
    query = select(JobType.id).where(JobType.tenant_id == tenant_id, column == value)
    if other_than is not None:
        query = query.where(JobType.id != other_than)
    return uow.session.execute(query).first() is not None


def _name_taken(uow: UnitOfWork, tenant_id: str, name: str, other_than: str | None = None) -> bool:
    return _taken(uow, tenant_id, func.lower(JobType.name), name.lower(), other_than)


def _key_taken(uow: UnitOfWork, tenant_id: str, key: str) -> bool:
    return _taken(uow, tenant_id, JobType.key, key, None)


def _conflict(field: str) -> Conflict:
    """409 naming the field taken: `key` or `name`."""
    return Conflict(f"A job type with that {field} exists.", {field: ["Already in use."]})


def _free_key(uow: UnitOfWork, tenant_id: str, name: str) -> str:
    """A key derived from the name that no job type of the CBO has yet ("cook", "cook-2")."""
    base = rules.derive_key(name) or "job-type"
    key, number = base, 1
    while _key_taken(uow, tenant_id, key):
        number += 1
        key = rules.numbered_key(base, number)
    return key


def _flush(uow: UnitOfWork) -> None:
    """Write the change; two requests taking one key or name at the same moment: 409."""
    try:
        with uow.session.begin_nested():
            uow.session.flush()
    except IntegrityError as exc:
        field = "key" if "uq_job_types_tenant_key" in str(exc.orig) else "name"
        raise _conflict(field) from exc


def create_job_type(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> JobType:
    """A new job type of the caller's CBO, CBO-wide or (with `client_id`) exclusive to one of
    its clients; its key is the one given or derived from the name. 409 naming the field when
    the key or the name (case aside) is taken."""
    check_manager(caller)
    if data.get("client_id") is not None:
        client_of_cbo(uow, tenant_id=tenant_id, client_id=data["client_id"])
    if _name_taken(uow, tenant_id, data["name"]):
        raise _conflict("name")
    if data.get("key"):
        if _key_taken(uow, tenant_id, data["key"]):
            raise _conflict("key")
        key = data["key"]
    else:
        key = _free_key(uow, tenant_id, data["name"])
    job_type = JobType(
        tenant_id=tenant_id,
        key=key,
        client_id=data.get("client_id"),
        **{k: data[k] for k in EDITABLE},
    )
    uow.session.add(job_type)
    _flush(uow)
    uow.session.refresh(job_type)
    uow.emit("jobtype.created", _event(job_type), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="jobtype.create",
        entity_type="job_type",
        entity_id=job_type.id,
        after=_recorded(job_type, SHOWN),
        tenant_id=tenant_id,
    )
    return job_type


def update_job_type(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, job_type_id: str, data: dict[str, Any]
) -> JobType:
    """Change what `data` holds (any of EDITABLE; never the key nor whose job type it is).
    The rates are checked together, as they will be. Nothing is written when nothing
    changes."""
    check_manager(caller)
    job_type = get_job_type(
        uow, caller=caller, tenant_id=tenant_id, job_type_id=job_type_id, lock=True
    )
    changed = [k for k in EDITABLE if k in data and data[k] != getattr(job_type, k)]
    if not changed:
        return job_type
    problems = rules.rate_problems(
        data.get("pay_rate_cents", job_type.pay_rate_cents),
        data.get("bill_rate_cents", job_type.bill_rate_cents),
    )
    if problems:
        raise ValidationFailed(fields=problems)
    if "name" in changed and _name_taken(uow, tenant_id, data["name"], other_than=job_type.id):
        raise _conflict("name")
    before = _recorded(job_type, changed)
    for key in changed:
        setattr(job_type, key, data[key])
    _flush(uow)
    uow.session.refresh(job_type)
    uow.emit("jobtype.updated", {**_event(job_type), "changed": changed}, tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="jobtype.update",
        entity_type="job_type",
        entity_id=job_type.id,
        before=before,
        after=_recorded(job_type, changed),
        tenant_id=tenant_id,
    )
    return job_type


def deactivate_job_type(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, job_type_id: str
) -> JobType:
    """The job type is no longer offered: it stays, with its bookings' history, but takes no
    new bookings. Deactivating an inactive one changes nothing."""
    return update_job_type(
        uow, caller=caller, tenant_id=tenant_id, job_type_id=job_type_id, data={"active": False}
    )
