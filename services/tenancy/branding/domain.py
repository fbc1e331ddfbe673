"""A CBO's branding and words, its logo, its public face, and the embeddable login box.

The branding lives on the CBO's row (tenants/models.py); only the logo has a table of its own.
"""

from __future__ import annotations

import html
from typing import Any

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import NotFound, ValidationFailed
from chassis.uploads import file_payload, read_upload
from services.tenancy.branding import rules
from services.tenancy.branding.models import Logo
from services.tenancy.common import (
    active_tenant,
    approved_tenant_by_slug,
    tenant_by_id,
    tenant_by_slug,
)
from services.tenancy.tenants.models import Tenant

LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
LOGO_MAX_BYTES = 1024 * 1024

_BRANDING_FIELDS = (
    "display_name",
    "colors",
    "terminology",
    "languages",
    "default_language",
    "timezone",
)


def _updated(uow: UnitOfWork, tenant: Tenant, changed: list[str]) -> None:
    """branding.updated, with the settings other services keep a copy of."""
    uow.emit(
        "branding.updated",
        {
            "tenant_id": tenant.id,
            "changed": changed,
            "timezone": tenant.timezone,
            "default_language": tenant.default_language,
            "languages": list(tenant.languages),
        },
        tenant_id=tenant.id,
    )


def _logo(uow: UnitOfWork, tenant_id: str) -> Logo | None:
    return uow.session.get(Logo, tenant_id)


def _logo_info(logo: Logo) -> dict[str, Any]:
    return {"filename": logo.filename, "content_type": logo.content_type, "size": logo.size}


def _logo_url(tenant: Tenant, logo: Logo | None) -> str | None:
    # The version in the query lets browsers cache the image and still see a new one at once.
    if logo is None:
        return None
    return f"/api/v1/public/cbos/{tenant.slug}/logo?v={int(logo.updated_at.timestamp())}"


def _public_look(uow: UnitOfWork, tenant: Tenant) -> dict[str, Any]:
    """What anybody may see of a CBO's branding."""
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "colors": {**rules.DEFAULT_COLOURS, **tenant.colors},
        "terminology": tenant.terminology,
        "languages": tenant.languages,
        "default_language": tenant.default_language,
        "timezone": tenant.timezone,
        "logo_url": _logo_url(tenant, _logo(uow, tenant.id)),
    }


def _branding(uow: UnitOfWork, tenant: Tenant) -> dict[str, Any]:
    """The CBO's branding as its staff see it."""
    return {
        **_public_look(uow, tenant),
        "tenant_id": tenant.id,
        "name": tenant.name,
        "status": tenant.status,
        "allowed_origins": tenant.allowed_origins,
        "supported_languages": list(rules.SUPPORTED_LANGUAGES),
    }


def get_branding(uow: UnitOfWork, *, tenant_id: str) -> dict[str, Any]:
    return _branding(uow, tenant_by_id(uow, tenant_id=tenant_id))


def message_profile(uow: UnitOfWork, *, tenant_id: str) -> dict[str, Any]:
    """What messages sent in the CBO's name need: its name, time zone, languages and words
    (for the notifications service, whatever the CBO's status: a suspended CBO's workers are
    still told their shifts are cancelled)."""
    tenant = tenant_by_id(uow, tenant_id=tenant_id)
    return {
        "tenant_id": tenant.id,
        "display_name": tenant.display_name or tenant.name,
        "timezone": tenant.timezone,
        "default_language": tenant.default_language,
        "languages": list(tenant.languages),
        "terminology": dict(tenant.terminology or {}),
    }


def update_branding(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace the branding fields sent; the default language must stay enabled."""
    tenant = active_tenant(uow, tenant_id=tenant_id, lock=True)
    languages = data.get("languages", tenant.languages)
    default_language = data.get("default_language", tenant.default_language)
    if default_language not in languages:
        field = "default_language" if "default_language" in data else "languages"
        raise ValidationFailed(
            fields={field: [f"The default language ({default_language}) must be enabled."]}
        )
    if "colors" in data:
        # Colours not sent keep their value; the five together make the palette.
        data = {**data, "colors": {**rules.DEFAULT_COLOURS, **tenant.colors, **data["colors"]}}
    changed = [f for f in _BRANDING_FIELDS if f in data and data[f] != getattr(tenant, f)]
    if not changed:
        return _branding(uow, tenant)
    before = {f: getattr(tenant, f) for f in changed}
    for name in changed:
        setattr(tenant, name, data[name])
    uow.session.flush()
    _updated(uow, tenant, changed)
    audit(
        uow,
        caller,
        action="branding.update",
        entity_type="tenant",
        entity_id=tenant.id,
        before=before,
        after={f: data[f] for f in changed},
    )
    return _branding(uow, tenant)


def set_logo(uow: UnitOfWork, *, caller: Caller, tenant_id: str, file: object) -> dict[str, Any]:
    """The CBO's logo (PNG, JPEG or WebP, at most 1 MB), replacing any earlier one; returns
    its name, type and size."""
    tenant = active_tenant(uow, tenant_id=tenant_id, lock=True)
    upload = read_upload(file, allowed=LOGO_TYPES, max_bytes=LOGO_MAX_BYTES)
    logo = _logo(uow, tenant.id)
    before = _logo_info(logo) if logo else None
    if logo is None:
        logo = Logo(tenant_id=tenant.id)
        uow.session.add(logo)
    logo.filename = upload.filename
    logo.content_type = upload.content_type
    logo.size = upload.size
    logo.data = upload.data
    uow.session.flush()
    info = _logo_info(logo)
    _updated(uow, tenant, ["logo"])
    audit(
        uow,
        caller,
        action="branding.set_logo",
        entity_type="tenant",
        entity_id=tenant.id,
        before=before,
        after=info,
    )
    return info


def remove_logo(uow: UnitOfWork, *, caller: Caller, tenant_id: str) -> None:
    tenant = active_tenant(uow, tenant_id=tenant_id)
    logo = _logo(uow, tenant_id)
    if logo is None:
        raise NotFound("The CBO has no logo.")
    before = _logo_info(logo)
    uow.session.delete(logo)
    uow.session.flush()
    _updated(uow, tenant, ["logo"])
    audit(
        uow,
        caller,
        action="branding.remove_logo",
        entity_type="tenant",
        entity_id=tenant_id,
        before=before,
    )


# -- What anybody may see ----------------------------------------------------------------------


def public_branding(uow: UnitOfWork, *, slug: str) -> dict[str, Any]:
    """The branded app's and the login box's look and words; only for approved CBOs."""
    return _public_look(uow, approved_tenant_by_slug(uow, slug=slug))


def public_logo(uow: UnitOfWork, *, slug: str) -> dict[str, str]:
    tenant = approved_tenant_by_slug(uow, slug=slug)
    logo = _logo(uow, tenant.id)
    if logo is None:
        raise NotFound("The CBO has no logo.")
    return file_payload(filename=logo.filename, content_type=logo.content_type, data=logo.data)


# -- The embeddable login box ------------------------------------------------------------------


def _login_box_page(public_url: str, slug: str) -> str:
    return f"{public_url.rstrip('/')}/login-box/{slug}"


def _login_box(tenant: Tenant, public_url: str) -> dict[str, Any]:
    """The allowed origins and the HTML the CBO pastes into its own site."""
    page = _login_box_page(public_url, tenant.slug)
    title = html.escape(f"Sign in to {tenant.display_name}", quote=True)
    snippet = (
        f'<iframe src="{html.escape(page, quote=True)}" title="{title}" '
        'style="border:0;width:100%;max-width:420px;height:560px" loading="lazy" '
        'referrerpolicy="origin"></iframe>'
    )
    return {"allowed_origins": tenant.allowed_origins, "page_url": page, "snippet": snippet}


def get_login_box(uow: UnitOfWork, *, tenant_id: str, public_url: str) -> dict[str, Any]:
    return _login_box(tenant_by_id(uow, tenant_id=tenant_id), public_url)


def set_allowed_origins(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, origins: list[str], public_url: str
) -> dict[str, Any]:
    tenant = active_tenant(uow, tenant_id=tenant_id, lock=True)
    # Stored exactly as browsers send the Origin header, each once, in the order given.
    normalised = list(dict.fromkeys(rules.normalise_origin(o) for o in origins))
    if normalised != tenant.allowed_origins:
        before = list(tenant.allowed_origins)
        tenant.allowed_origins = normalised
        uow.session.flush()
        _updated(uow, tenant, ["allowed_origins"])
        audit(
            uow,
            caller,
            action="login_box.set_origins",
            entity_type="tenant",
            entity_id=tenant.id,
            before={"allowed_origins": before},
            after={"allowed_origins": normalised},
        )
    return _login_box(tenant, public_url)


def login_box_rules(uow: UnitOfWork, *, slug: str) -> dict[str, Any]:
    """What the gateway needs to check a request from a CBO's own site."""
    tenant = tenant_by_slug(uow, slug=slug)
    if tenant is None:
        raise NotFound("There is no such CBO.")
    return {
        "tenant_id": tenant.id,
        "slug": tenant.slug,
        "status": tenant.status,
        "allowed_origins": list(tenant.allowed_origins),
    }
