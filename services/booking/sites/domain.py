"""A client's places of work: address, coordinates, EVV's geofence and the time zone its
shifts are shown in.

The CBO's staff (`bookings.manage`) manage any site of their CBO's clients; a client user
(`self.book`) manages and sees only their own client's sites: every other client's do not exist
for them (404). Each change emits site.created / site.updated and writes an audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from chassis.audit import audit
from chassis.context import CLIENT, Caller
from chassis.db import UnitOfWork
from chassis.errors import NotFound, ValidationFailed
from chassis.paging import order_by, page_rows, text_search
from services.booking.common import check_client, client_scope, market_tenant
from services.booking.sites import rules
from services.booking.sites.models import Site
from services.booking.workers.domain import cbo_timezone, client_of
from services.booking.workers.models import ClientRecord

EDITABLE = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "geofence_radius_m",
    "timezone",
    "active",
)

# -- who may act -------------------------------------------------------------------------------


def check_reader(caller: Caller) -> None:
    """Who reads sites: staff with `bookings.read`, a client user with `self.book` or
    `bookings.read` (their own client's only). Job seekers never."""
    market_tenant(caller)
    if caller.kind == CLIENT:
        caller.require_any(("self.book", "bookings.read"))
    else:
        caller.require("bookings.read")


def check_manager(caller: Caller) -> None:
    """Who changes sites: staff with `bookings.manage`, a client user with `self.book` (their
    own client's only)."""
    market_tenant(caller)
    caller.require("self.book" if caller.kind == CLIENT else "bookings.manage")


# -- what booking knows of its CBO and clients -------------------------------------------------


def client_of_cbo(
    uow: UnitOfWork, *, tenant_id: str, client_id: str, field: str = "client_id"
) -> ClientRecord:
    """An active client of the CBO, as booking's read model knows it (entrypoints first make
    sure it knows one tenancy has just registered: common.ensure_client); a 422
    naming `field` otherwise."""
    client = client_of(uow, tenant_id=tenant_id, client_id=client_id)
    if client is None:
        raise ValidationFailed(fields={field: ["There is no such client."]})
    if not client.active:
        raise ValidationFailed(fields={field: ["This client is not active."]})
    return client


# -- reading -----------------------------------------------------------------------------------


def _recorded(site: Site, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The named fields as the API shows them, for the audit trail."""
    return {name: getattr(site, name) for name in names}


def _event(site: Site) -> dict[str, Any]:
    return {
        "site_id": site.id,
        "client_id": site.client_id,
        "name": site.name,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "geofence_radius_m": site.geofence_radius_m,
        "timezone": site.timezone,
        "active": site.active,
    }


def _find(uow: UnitOfWork, *, tenant_id: str, site_id: str, lock: bool = False) -> Site | None:
    query = select(Site).where(Site.id == site_id, Site.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return uow.session.execute(query).scalar_one_or_none()


def get_site(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, site_id: str, lock: bool = False
) -> Site:
    """A site of the CBO within the caller's scope; another client's is NotFound for a client
    user, as is another CBO's for anyone."""
    site = _find(uow, tenant_id=tenant_id, site_id=site_id, lock=lock)
    scope = client_scope(caller)
    if site is None or (scope is not None and site.client_id != scope):
        raise NotFound("There is no such site.")
    return site


def site_for_client(uow: UnitOfWork, *, tenant_id: str, client_id: str, site_id: str) -> Site:
    """The site where a booking for `client_id` happens: one of that client's active sites in
    the CBO. NotFound if it is another client's (or does not exist); a 422 naming `site_id` if
    it is no longer in use. The caller's own scope is the bookings area's to check first."""
    site = _find(uow, tenant_id=tenant_id, site_id=site_id)
    if site is None or site.client_id != client_id:
        raise NotFound("There is no such site.")
    if not site.active:
        raise ValidationFailed(fields={"site_id": ["This site is no longer in use."]})
    return site


def list_sites(
    uow: UnitOfWork,
    *,
    caller: Caller,
    tenant_id: str,
    page: int,
    per_page: int,
    sort: str,
    q: str | None = None,
    client_id: str | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """A page of the sites the caller may see ({items, total, page, per_page}): a client user's
    own client's, staff's every client's (or `client_id`'s); `q` searches name, address and
    city. A client user naming another client gets NotFound."""
    check_reader(caller)
    if client_id is not None:
        check_client(caller, client_id)
    statement = select(Site).where(Site.tenant_id == tenant_id)
    scope = client_scope(caller)
    if scope is not None:
        statement = statement.where(Site.client_id == scope)
    if client_id is not None:
        statement = statement.where(Site.client_id == client_id)
    if q:
        statement = statement.where(
            text_search(q, Site.name, Site.address_line1, Site.address_line2, Site.city)
        )
    if active is not None:
        statement = statement.where(Site.active.is_(active))
    columns = {
        "name": func.lower(Site.name),
        "city": func.lower(Site.city),
        "created_at": Site.created_at,
        "updated_at": Site.updated_at,
    }
    statement = order_by(statement, sort, columns, Site.id)
    return page_rows(uow.session, statement, page=page, per_page=per_page)


def read_site(uow: UnitOfWork, *, caller: Caller, tenant_id: str, site_id: str) -> Site:
    """One site, for a caller who may read sites (see get_site for the scope)."""
    check_reader(caller)
    return get_site(uow, caller=caller, tenant_id=tenant_id, site_id=site_id)


# -- changing ----------------------------------------------------------------------------------


def create_site(uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]) -> Site:
    """A new site of a client of the caller's CBO (a client user's own client when they name
    none). Coordinates are the ones given, else the ZIP code's centroid; the time zone the one
    given, else the CBO's."""
    check_manager(caller)
    client_id = data.get("client_id") or client_scope(caller)
    if client_id is None:
        raise ValidationFailed(fields={"client_id": ["Name the client whose site it is."]})
    check_client(caller, client_id)
    client_of_cbo(uow, tenant_id=tenant_id, client_id=client_id)
    try:
        latitude, longitude = rules.coordinates(
            zip_code=data["zip"], latitude=data.get("latitude"), longitude=data.get("longitude")
        )
    except ValueError as exc:
        raise ValidationFailed(fields=exc.args[0]) from exc
    site = Site(
        tenant_id=tenant_id,
        client_id=client_id,
        **{k: data[k] for k in EDITABLE if k not in ("latitude", "longitude", "timezone")},
        latitude=latitude,
        longitude=longitude,
        timezone=data.get("timezone") or cbo_timezone(uow, tenant_id=tenant_id),
    )
    uow.session.add(site)
    uow.session.flush()
    uow.session.refresh(site)
    uow.emit("site.created", _event(site), tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="site.create",
        entity_type="site",
        entity_id=site.id,
        after=_recorded(site, ("id", "client_id", *EDITABLE)),
        tenant_id=tenant_id,
    )
    return site


def _new_values(uow: UnitOfWork, site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """The columns a PATCH sets: coordinates given, or moved to a new ZIP code's centroid (or to
    the ZIP's centroid when both are cleared); a cleared time zone is the CBO's again."""
    values = dict(data)
    given = "latitude" in data or "longitude" in data
    new_zip = "zip" in data and data["zip"] != site.zip
    if given or new_zip:
        try:
            values["latitude"], values["longitude"] = rules.coordinates(
                zip_code=data.get("zip", site.zip),
                latitude=data.get("latitude") if given else None,
                longitude=data.get("longitude") if given else None,
            )
        except ValueError as exc:
            raise ValidationFailed(fields=exc.args[0]) from exc
    if "timezone" in data and data["timezone"] is None:
        values["timezone"] = cbo_timezone(uow, tenant_id=site.tenant_id)
    return values


def update_site(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, site_id: str, data: dict[str, Any]
) -> Site:
    """Change what `data` holds (any of EDITABLE); nothing is written when nothing changes."""
    check_manager(caller)
    site = get_site(uow, caller=caller, tenant_id=tenant_id, site_id=site_id, lock=True)
    values = _new_values(uow, site, data)
    changed = [k for k in EDITABLE if k in values and values[k] != getattr(site, k)]
    if not changed:
        return site
    before = _recorded(site, changed)
    for key in changed:
        setattr(site, key, values[key])
    uow.session.flush()
    uow.session.refresh(site)
    uow.emit("site.updated", {**_event(site), "changed": changed}, tenant_id=tenant_id)
    audit(
        uow,
        caller,
        action="site.update",
        entity_type="site",
        entity_id=site.id,
        before=before,
        after=_recorded(site, changed),
        tenant_id=tenant_id,
    )
    return site


def deactivate_site(uow: UnitOfWork, *, caller: Caller, tenant_id: str, site_id: str) -> Site:
    """The site is no longer in use: it stays, with its shifts' history, but takes no new
    bookings. Deactivating an inactive site changes nothing."""
    return update_site(
        uow, caller=caller, tenant_id=tenant_id, site_id=site_id, data={"active": False}
    )
