"""CBO lifecycle: application, approval or rejection by the city, suspension and reinstatement,
and the MOU with the workforce nonprofit. Plain functions over a unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from chassis.uploads import read_upload
from services.tenancy import rules
from services.tenancy.common import file_payload, like_pattern, page, tenant_by_id, tenant_by_slug
from services.tenancy.models import Mou, Tenant
from services.tenancy.schemas import MouSchema, TenantSchema

MOU_DOCUMENT_TYPES = frozenset({"application/pdf"})
MOU_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    return TenantSchema().dump(tenant)


def _tenant_event(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"tenant_id": tenant.id, "slug": tenant.slug, "name": tenant.name, **extra}


def apply(uow: UnitOfWork, data: dict[str, Any]) -> Tenant:
    """A CBO's application (anybody may apply); the city decides later."""
    if tenant_by_slug(uow, data["slug"]) is not None:
        raise Conflict("That short name is taken.", {"slug": ["Already taken; choose another."]})
    tenant = Tenant(
        slug=data["slug"],
        name=data["name"].strip(),
        status="applied",
        contact_name=data["contact_name"].strip(),
        contact_email=data["contact_email"].strip(),
        owner_name=data["owner_name"].strip(),
        owner_email=data["owner_email"].strip(),
        timezone=data["timezone"],
        display_name=data["name"].strip(),
        colors=dict(rules.DEFAULT_COLOURS),
        terminology={},
        languages=list(rules.SUPPORTED_LANGUAGES),
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


def list_tenants(uow: UnitOfWork, query: dict[str, Any]) -> dict[str, Any]:
    statement = select(Tenant).order_by(Tenant.created_at.desc(), Tenant.id)
    if query.get("status"):
        statement = statement.where(Tenant.status == query["status"])
    if query.get("q"):
        pattern = like_pattern(query["q"])
        statement = statement.where(or_(Tenant.name.ilike(pattern), Tenant.slug.ilike(pattern)))
    found = page(uow, statement, page=query["page"], per_page=query["per_page"])
    found["items"] = [tenant_view(t) for t in found["items"]]
    return found


def _decide(
    uow: UnitOfWork,
    caller: Caller,
    tenant_id: str,
    *,
    action: str,
    allowed_from: str,
    to: str,
    reason: str | None,
    event_type: str,
    event_fields: tuple[str, ...] = (),
) -> Tenant:
    """Move a CBO from `allowed_from` to `to`, with its event and audit entry."""
    tenant = tenant_by_id(uow, tenant_id, lock=True)
    if tenant.status != allowed_from:
        raise Conflict(
            f"The CBO is {tenant.status}; only a CBO that is {allowed_from} can be {to}."
        )
    before = tenant_view(tenant)
    tenant.status = to
    tenant.status_reason = reason
    tenant.decided_at = datetime.now(UTC)
    uow.session.flush()
    extra = {name: getattr(tenant, name) for name in event_fields}
    if reason is not None:
        extra["reason"] = reason
    uow.emit(event_type, _tenant_event(tenant, **extra), tenant_id=tenant.id)
    audit(
        uow,
        caller,
        action=action,
        entity_type="tenant",
        entity_id=tenant.id,
        before={"status": before["status"]},
        after={"status": to, "reason": reason},
        tenant_id=tenant.id,
    )
    return tenant


def approve(uow: UnitOfWork, caller: Caller, tenant_id: str) -> Tenant:
    """The city approves a CBO; identity invites the owner named in the application."""
    return _decide(
        uow,
        caller,
        tenant_id,
        action="tenant.approve",
        allowed_from="applied",
        to="approved",
        reason=None,
        event_type="tenant.approved",
        event_fields=("owner_email", "owner_name", "timezone"),
    )


def reject(uow: UnitOfWork, caller: Caller, tenant_id: str, reason: str) -> Tenant:
    return _decide(
        uow,
        caller,
        tenant_id,
        action="tenant.reject",
        allowed_from="applied",
        to="rejected",
        reason=reason,
        event_type="tenant.rejected",
    )


def suspend(uow: UnitOfWork, caller: Caller, tenant_id: str, reason: str) -> Tenant:
    return _decide(
        uow,
        caller,
        tenant_id,
        action="tenant.suspend",
        allowed_from="approved",
        to="suspended",
        reason=reason,
        event_type="tenant.suspended",
    )


def reinstate(uow: UnitOfWork, caller: Caller, tenant_id: str, reason: str) -> Tenant:
    return _decide(
        uow,
        caller,
        tenant_id,
        action="tenant.reinstate",
        allowed_from="suspended",
        to="approved",
        reason=reason,
        event_type="tenant.reinstated",
    )


# -- MOUs ----------------------------------------------------------------------------------------


def mou_view(mou: Mou) -> dict[str, Any]:
    document = (
        {
            "filename": mou.document_filename,
            "content_type": mou.document_content_type,
            "size": mou.document_size,
        }
        if mou.document_filename
        else None
    )
    return MouSchema().dump(
        {
            "id": mou.id,
            "tenant_id": mou.tenant_id,
            "signed_on": mou.signed_on,
            "starts_on": mou.starts_on,
            "ends_on": mou.ends_on,
            "signatories": mou.signatories,
            "notes": mou.notes,
            "document": document,
            "created_at": mou.created_at,
        }
    )


def record_mou(uow: UnitOfWork, caller: Caller, tenant_id: str, data: dict[str, Any]) -> Mou:
    tenant = tenant_by_id(uow, tenant_id, lock=True)
    if tenant.status == "rejected":
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
    view = mou_view(mou)
    audit(
        uow,
        caller,
        action="mou.record",
        entity_type="mou",
        entity_id=mou.id,
        after=view,
        tenant_id=tenant.id,
    )
    return mou


def _mou(uow: UnitOfWork, tenant_id: str, mou_id: str, *, lock: bool = False) -> Mou:
    statement = select(Mou).where(Mou.id == mou_id, Mou.tenant_id == tenant_id)
    if lock:
        statement = statement.with_for_update()
    mou = uow.session.execute(statement).scalar_one_or_none()
    if mou is None:
        raise NotFound("There is no such MOU.")
    return mou


def attach_mou_document(
    uow: UnitOfWork, caller: Caller, tenant_id: str, mou_id: str, body: dict[str, Any]
) -> Mou:
    """The signed MOU as a PDF (replacing any earlier one), checked from its bytes."""
    tenant_by_id(uow, tenant_id)
    upload = read_upload(
        body.get("file"), allowed=MOU_DOCUMENT_TYPES, max_bytes=MOU_DOCUMENT_MAX_BYTES
    )
    mou = _mou(uow, tenant_id, mou_id, lock=True)
    before = mou_view(mou)["document"]
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


def list_mous(uow: UnitOfWork, tenant_id: str) -> list[dict[str, Any]]:
    mous = uow.session.execute(
        select(Mou)
        .where(Mou.tenant_id == tenant_id)
        .order_by(Mou.starts_on.desc(), Mou.created_at.desc())
    ).scalars()
    return [mou_view(m) for m in mous]


def mou_document(uow: UnitOfWork, tenant_id: str, mou_id: str) -> dict[str, str]:
    mou = _mou(uow, tenant_id, mou_id)
    if mou.document is None:
        raise NotFound("No document was uploaded for this MOU.")
    return file_payload(
        mou.document_filename or "mou.pdf",
        mou.document_content_type or "application/pdf",
        mou.document,
    )
