"""CBO life cycle: application, approval or rejection by the city, suspension and
reinstatement, and the MOU with the workforce nonprofit. Plain functions over a unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork, owned_row
from chassis.errors import Conflict, NotFound
from chassis.paging import order_by, page_rows, text_search
from chassis.uploads import file_payload, read_upload
from services.tenancy.branding.rules import DEFAULT_COLOURS, SUPPORTED_LANGUAGES
from services.tenancy.common import snapshot, tenant_by_id, tenant_by_slug
from services.tenancy.tenants import rules
from services.tenancy.tenants.models import Mou, Tenant

MOU_DOCUMENT_TYPES = frozenset({"application/pdf"})
MOU_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
EVENT_OF_ACTION = {
    "approve": "tenant.approved",
    "reject": "tenant.rejected",
    "suspend": "tenant.suspended",
    "reinstate": "tenant.reinstated",
}
MOU_FIELDS = (
    "id",
    "tenant_id",
    "signed_on",
    "starts_on",
    "ends_on",
    "signatories",
    "notes",
    "document_info",
    "created_at",
)


def _tenant_event(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"tenant_id": tenant.id, "slug": tenant.slug, "name": tenant.name, **extra}


def apply(uow: UnitOfWork, *, data: dict[str, Any]) -> Tenant:
    """A CBO's application (anybody may apply); the city decides later."""
    if tenant_by_slug(uow, slug=data["slug"]) is not None:
        raise Conflict("That short name is taken.", {"slug": ["Already taken; choose another."]})
    tenant = Tenant(
        slug=data["slug"],
        name=data["name"].strip(),
        status=rules.APPLIED,
        contact_name=data["contact_name"].strip(),
        contact_email=data["contact_email"].strip(),
        owner_name=data["owner_name"].strip(),
        owner_email=data["owner_email"].strip(),
        timezone=data["timezone"],
        display_name=data["name"].strip(),
        colors=dict(DEFAULT_COLOURS),
        terminology={},
        languages=list(SUPPORTED_LANGUAGES),
        default_language="en",
        allowed_origins=[],
    )
    uow.session.add(tenant)
    uow.session.flush()
    uow.emit(
        "tenant.applied",
        _tenant_event(tenant, contact_email=tenant.contact_email, contact_name=tenant.contact_name),
        tenant_id=tenant.id,
    )
    return tenant


def list_tenants(
    uow: UnitOfWork,
    *,
    page: int,
    per_page: int,
    sort: str,
    status: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    """A page of CBOs ({items, total, page, per_page}), filtered by status and name or slug."""
    statement = select(Tenant)
    if status:
        statement = statement.where(Tenant.status == status)
    if q:
        statement = statement.where(text_search(q, Tenant.name, Tenant.slug))
    columns = {"created_at": Tenant.created_at, "name": Tenant.name, "slug": Tenant.slug}
    statement = order_by(statement, sort, columns, Tenant.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)


def get_tenant(uow: UnitOfWork, *, tenant_id: str) -> Tenant:
    return tenant_by_id(uow, tenant_id=tenant_id)


def decide(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, action: str, reason: str | None = None
) -> Tenant:
    """The city's `action` (approve, reject, suspend, reinstate; see rules.ACTIONS) on a CBO,
    with its event and audit entry. Approval invites the owner named in the application
    (identity does, on tenant.approved)."""
    tenant = tenant_by_id(uow, tenant_id=tenant_id, lock=True)
    try:
        to = rules.status_after(action, tenant.status)
    except rules.TransitionRefused as exc:
        raise Conflict(str(exc)) from exc
    before = tenant.status
    tenant.status = to
    tenant.status_reason = reason
    tenant.decided_at = datetime.now(UTC)
    uow.session.flush()
    extra: dict[str, Any] = {}
    if action == "approve":
        extra = {
            "owner_email": tenant.owner_email,
            "owner_name": tenant.owner_name,
            "timezone": tenant.timezone,
        }
    if reason is not None:
        extra["reason"] = reason
    uow.emit(EVENT_OF_ACTION[action], _tenant_event(tenant, **extra), tenant_id=tenant.id)
    audit(
        uow,
        caller,
        action=f"tenant.{action}",
        entity_type="tenant",
        entity_id=tenant.id,
        before={"status": before},
        after={"status": to, "reason": reason},
        tenant_id=tenant.id,
    )
    return tenant


# -- MOUs --------------------------------------------------------------------------------------


def record_mou(uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]) -> Mou:
    tenant = tenant_by_id(uow, tenant_id=tenant_id, lock=True)
    if tenant.status == rules.REJECTED:
        raise Conflict("The CBO's application was rejected; it has no MOU to record.")
    mou = Mou(
        tenant_id=tenant.id,
        signed_on=data["signed_on"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        signatories=[dict(s) for s in data["signatories"]],
        notes=data["notes"],
        recorded_by=caller.user_id,
    )
    uow.session.add(mou)
    uow.session.flush()
    uow.session.refresh(mou)  # created_at comes from the database
    uow.emit(
        "mou.recorded",
        {
            "tenant_id": tenant.id,
            "mou_id": mou.id,
            "signed_on": mou.signed_on,
            "starts_on": mou.starts_on,
            "ends_on": mou.ends_on,
        },
        tenant_id=tenant.id,
    )
    after = snapshot(mou, MOU_FIELDS)
    after["document"] = after.pop("document_info")
    audit(
        uow,
        caller,
        action="mou.record",
        entity_type="mou",
        entity_id=mou.id,
        after=after,
        tenant_id=tenant.id,
    )
    return mou


def _mou(uow: UnitOfWork, tenant_id: str, mou_id: str, *, lock: bool = False) -> Mou:
    return owned_row(uow, Mou, tenant_id=tenant_id, row_id=mou_id, what="MOU", lock=lock)


def attach_mou_document(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, mou_id: str, file: object
) -> Mou:
    """The signed MOU as a PDF (replacing any earlier one), checked from its bytes."""
    tenant_by_id(uow, tenant_id=tenant_id)
    upload = read_upload(file, allowed=MOU_DOCUMENT_TYPES, max_bytes=MOU_DOCUMENT_MAX_BYTES)
    mou = _mou(uow, tenant_id, mou_id, lock=True)
    before = mou.document_info
    mou.document = upload.data
    mou.document_filename = upload.filename
    mou.document_content_type = upload.content_type
    mou.document_size = upload.size
    uow.session.flush()
    info = {"filename": upload.filename, "content_type": upload.content_type, "size": upload.size}
    uow.emit(
        "mou.document_attached",
        {"tenant_id": tenant_id, "mou_id": mou.id, **info},
        tenant_id=tenant_id,
    )
    audit(
        uow,
        caller,
        action="mou.attach_document",
        entity_type="mou",
        entity_id=mou.id,
        before=before,
        after=info,
        tenant_id=tenant_id,
    )
    return mou


def list_mous(
    uow: UnitOfWork, *, tenant_id: str, page: int, per_page: int, sort: str
) -> dict[str, Any]:
    """A page of a CBO's MOUs ({items, total, page, per_page}; 404 for an unknown CBO)."""
    tenant_by_id(uow, tenant_id=tenant_id)
    columns = {
        "starts_on": Mou.starts_on,
        "signed_on": Mou.signed_on,
        "created_at": Mou.created_at,
    }
    statement = order_by(select(Mou).where(Mou.tenant_id == tenant_id), sort, columns, Mou.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)


def mou_document(uow: UnitOfWork, *, tenant_id: str, mou_id: str) -> dict[str, str]:
    mou = _mou(uow, tenant_id, mou_id)
    if mou.document is None:
        raise NotFound("No document was uploaded for this MOU.")
    return file_payload(
        filename=mou.document_filename or "mou.pdf",
        content_type=mou.document_content_type or "application/pdf",
        data=mou.document,
    )
