"""Sites on booking's real database: coordinates given or from the ZIP code, the CBO's time
zone by default, the client checked against booking's read model, events and audit entries,
and who sees and changes which client's sites."""

from __future__ import annotations

import pytest

from chassis.errors import Forbidden, NotFound, ValidationFailed
from services.booking.sites import domain
from services.booking.sites.schemas import SiteInputSchema, SiteUpdateSchema
from tests.domain.outbox import Outbox
from tests.factories import jobseeker_caller, staff_caller
from tests.market.builders import a_cbo_record, a_client_record
from tests.market.catalogue import client_caller, made_site, site_body

SERVICE = "booking"

PAGE = {"page": 1, "per_page": 50, "sort": "name"}
DOWNTOWN_LB = (33.7706, -118.182)  # ZIP 90802's centroid
BIXBY_KNOLLS = (33.8315, -118.1811)  # ZIP 90807's centroid


@pytest.fixture
def cbo(uow):
    """A CBO (in Phoenix time, to tell its zone from the fallback) with clients A and B."""
    tenant_id = a_cbo_record(uow, timezone="America/Phoenix").tenant_id
    client_a = a_client_record(uow, tenant_id=tenant_id, name="Client A").id
    client_b = a_client_record(uow, tenant_id=tenant_id, name="Client B").id

    class Cbo:
        id = tenant_id
        a, b = client_a, client_b
        staff = staff_caller(tenant_id)
        user_a = client_caller(tenant_id, client_a)
        user_b = client_caller(tenant_id, client_b)

    return Cbo


def create(uow, caller, **body):
    return domain.create_site(
        uow, caller=caller, tenant_id=caller.tenant_id, data=SiteInputSchema().load(body)
    )


def update(uow, caller, site, **changes):
    return domain.update_site(
        uow,
        caller=caller,
        tenant_id=caller.tenant_id,
        site_id=site.id,
        data=SiteUpdateSchema().load(changes),
    )


def listed(uow, caller, **filters) -> list[str]:
    found = domain.list_sites(uow, caller=caller, tenant_id=caller.tenant_id, **{**PAGE, **filters})
    return [site.name for site in found["items"]]


# -- creating --------------------------------------------------------------------------------


def test_a_site_without_coordinates_is_at_its_zip_codes_centroid_in_the_cbos_time_zone(uow, cbo):
    sent = Outbox(uow)
    site = create(uow, cbo.staff, **site_body(cbo.a, address_line2=" Suite 4 "))
    assert (site.latitude, site.longitude) == pytest.approx(DOWNTOWN_LB)
    assert (site.timezone, site.geofence_radius_m, site.active) == ("America/Phoenix", 150, True)
    assert (site.client_id, site.address_line2, site.state) == (cbo.a, "Suite 4", "CA")
    assert sent.types() == ["site.created", "audit.recorded"]
    created = sent.one("site.created")
    assert created["tenant_id"] == cbo.id
    assert created["data"] == {
        "site_id": site.id,
        "client_id": cbo.a,
        "name": "Harbor Cafe",
        "latitude": site.latitude,
        "longitude": site.longitude,
        "geofence_radius_m": 150,
        "timezone": "America/Phoenix",
        "active": True,
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["entity_type"], trail["entity_id"]) == (
        "site.create",
        "site",
        site.id,
    )
    assert (trail["actor_id"], trail["after"]["zip"]) == (cbo.staff.user_id, "90802")


def test_given_coordinates_radius_and_time_zone_are_kept(uow, cbo):
    site = create(
        uow,
        cbo.staff,
        **site_body(
            cbo.a,
            zip="99999",  # unknown to the ZIP table: the coordinates are given
            latitude=33.76,
            longitude=-118.19,
            geofence_radius_m=75,
            timezone="America/Los_Angeles",
        ),
    )
    assert (site.latitude, site.longitude, site.geofence_radius_m, site.timezone) == (
        33.76,
        -118.19,
        75,
        "America/Los_Angeles",
    )


def test_without_the_cbos_time_zone_in_booking_a_site_is_in_long_beachs(uow):
    tenant_id = "cbo-booking-has-not-heard-of"
    client = a_client_record(uow, tenant_id=tenant_id)
    site = create(uow, staff_caller(tenant_id), **site_body(client.id))
    assert site.timezone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"zip": "99999"}, "zip"),  # no such ZIP and no coordinates
        ({"latitude": 33.8}, "longitude"),
        ({"longitude": -118.1}, "latitude"),
    ],
)
def test_a_site_whose_coordinates_cannot_be_had_is_refused_naming_the_field(uow, cbo, body, field):
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as refused:
        create(uow, cbo.staff, **site_body(cbo.a, **body))
    assert set(refused.value.fields) == {field}
    assert sent.types() == []


@pytest.mark.parametrize("which", ["none", "unknown", "other cbo", "inactive"])
def test_a_site_needs_an_active_client_of_the_cbo(uow, cbo, which):
    client_id = {"none": None, "unknown": "no-such-client"}.get(which)
    if which == "other cbo":
        client_id = a_client_record(uow, tenant_id=a_cbo_record(uow).tenant_id).id
    elif which == "inactive":
        client = a_client_record(uow, tenant_id=cbo.id)
        client.active = False
        client_id = client.id
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as refused:
        create(uow, cbo.staff, **site_body(client_id))
    assert set(refused.value.fields) == {"client_id"}
    assert sent.types() == []


def test_a_client_user_adds_sites_for_their_own_client_only(uow, cbo):
    sent = Outbox(uow)
    own = create(uow, cbo.user_a, **site_body())  # no client named: their own
    named = create(uow, cbo.user_a, **site_body(cbo.a, name="Second"))
    assert own.client_id == named.client_id == cbo.a
    trail = sent.audit()
    assert [t["actor_kind"] for t in trail] == ["client", "client"]
    with pytest.raises(NotFound):
        create(uow, cbo.user_a, **site_body(cbo.b))
    assert len(sent.events("site.created")) == 2


@pytest.mark.parametrize(
    "caller_of",
    [
        lambda t, c: staff_caller(t, role="viewer"),
        lambda t, c: staff_caller(t, permissions=["self.book", "bookings.read"]),
        lambda t, c: client_caller(t, c, permissions=["bookings.read"]),
        lambda t, c: client_caller(t, c, permissions=["bookings.manage"]),
        lambda t, c: client_caller(t, None),
        lambda t, c: jobseeker_caller(t, permissions=["bookings.manage", "self.book"]),
    ],
    ids=[
        "viewer",
        "staff claiming self.book",
        "reader",
        "client claiming manage",
        "no client",
        "job seeker",
    ],
)
def test_who_may_not_change_sites(uow, cbo, caller_of):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    caller = caller_of(cbo.id, cbo.a)
    sent = Outbox(uow)
    with pytest.raises(Forbidden):
        create(uow, caller, **site_body(cbo.a))
    with pytest.raises(Forbidden):
        update(uow, caller, site, name="Taken over")
    with pytest.raises(Forbidden):
        domain.deactivate_site(uow, caller=caller, tenant_id=cbo.id, site_id=site.id)
    assert sent.types() == [] and site.name == "Harbor Cafe" and site.active


# -- who sees what ---------------------------------------------------------------------------


def test_staff_see_every_clients_sites_and_a_client_user_only_their_own(uow, cbo):
    site_a = made_site(uow, tenant_id=cbo.id, client_id=cbo.a, name="A's cafe")
    site_b = made_site(uow, tenant_id=cbo.id, client_id=cbo.b, name="B's dock")
    assert listed(uow, cbo.staff) == ["A's cafe", "B's dock"]
    assert listed(uow, staff_caller(cbo.id, role="viewer")) == ["A's cafe", "B's dock"]
    assert listed(uow, cbo.staff, client_id=cbo.b) == ["B's dock"]
    assert listed(uow, cbo.user_a) == ["A's cafe"]
    assert listed(uow, cbo.user_a, client_id=cbo.a) == ["A's cafe"]
    assert listed(uow, client_caller(cbo.id, cbo.a, permissions=["bookings.read"])) == ["A's cafe"]
    assert listed(uow, cbo.user_b) == ["B's dock"]
    with pytest.raises(NotFound):
        listed(uow, cbo.user_a, client_id=cbo.b)
    read = domain.read_site(uow, caller=cbo.user_a, tenant_id=cbo.id, site_id=site_a.id)
    assert read.id == site_a.id
    with pytest.raises(NotFound):
        domain.read_site(uow, caller=cbo.user_a, tenant_id=cbo.id, site_id=site_b.id)
    sent = Outbox(uow)
    with pytest.raises(NotFound):
        update(uow, cbo.user_a, site_b, name="Mine now")
    with pytest.raises(NotFound):
        domain.deactivate_site(uow, caller=cbo.user_a, tenant_id=cbo.id, site_id=site_b.id)
    assert sent.types() == [] and site_b.name == "B's dock"
    changed = update(uow, cbo.user_a, site_a, geofence_radius_m=300)
    assert changed.geofence_radius_m == 300


def test_another_cbos_people_see_nothing(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    other = a_cbo_record(uow).tenant_id
    for stranger in (staff_caller(other), client_caller(other, cbo.a)):
        assert listed(uow, stranger) == []
        assert listed(uow, stranger, client_id=cbo.a) == []
        with pytest.raises(NotFound):
            domain.read_site(uow, caller=stranger, tenant_id=other, site_id=site.id)
        with pytest.raises(NotFound):
            update(uow, stranger, site, name="Stolen")
        with pytest.raises(NotFound):
            domain.deactivate_site(uow, caller=stranger, tenant_id=other, site_id=site.id)
    # A client user there cannot add a site for A's client either: not a client of theirs.
    with pytest.raises(ValidationFailed):
        create(uow, client_caller(other, cbo.a), **site_body())
    assert site.name == "Harbor Cafe"


@pytest.mark.parametrize(
    "caller_of",
    [
        lambda t, c: staff_caller(t, permissions=["bookings.manage"]),
        lambda t, c: staff_caller(t, permissions=["self.book"]),
        lambda t, c: client_caller(t, c, permissions=["self.profile"]),
        lambda t, c: jobseeker_caller(t, permissions=["bookings.read"]),
    ],
    ids=["manager only", "staff claiming self.book", "client", "job seeker"],
)
def test_who_may_not_read_sites(uow, cbo, caller_of):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    caller = caller_of(cbo.id, cbo.a)
    with pytest.raises(Forbidden):
        listed(uow, caller)
    with pytest.raises(Forbidden):
        domain.read_site(uow, caller=caller, tenant_id=cbo.id, site_id=site.id)


def test_the_list_searches_filters_sorts_and_pages(uow, cbo):
    made_site(uow, tenant_id=cbo.id, client_id=cbo.a, name="Pier", city="San Pedro")
    made_site(uow, tenant_id=cbo.id, client_id=cbo.a, name="Office", address_line1="9 Elm St")
    closed = made_site(uow, tenant_id=cbo.id, client_id=cbo.b, name="Depot")
    domain.deactivate_site(uow, caller=cbo.staff, tenant_id=cbo.id, site_id=closed.id)
    assert listed(uow, cbo.staff) == ["Depot", "Office", "Pier"]
    assert listed(uow, cbo.staff, sort="-name") == ["Pier", "Office", "Depot"]
    assert listed(uow, cbo.staff, sort="city")[-1] == "Pier"
    assert listed(uow, cbo.staff, q="pedro") == ["Pier"]
    assert listed(uow, cbo.staff, q="ELM") == ["Office"]
    assert listed(uow, cbo.staff, q="_") == []
    assert listed(uow, cbo.staff, active=False) == ["Depot"]
    assert listed(uow, cbo.staff, active=True, client_id=cbo.a) == ["Office", "Pier"]
    page = domain.list_sites(
        uow, caller=cbo.staff, tenant_id=cbo.id, page=2, per_page=2, sort="name"
    )
    assert (page["total"], [s.name for s in page["items"]]) == (3, ["Pier"])


# -- changing --------------------------------------------------------------------------------


def test_a_change_emits_what_changed_with_an_audit_entry(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    sent = Outbox(uow)
    changed = update(uow, cbo.staff, site, name="Harbor Cafe West", geofence_radius_m=400)
    assert (changed.name, changed.geofence_radius_m) == ("Harbor Cafe West", 400)
    event = sent.one("site.updated")["data"]
    assert event["changed"] == ["name", "geofence_radius_m"]
    assert (event["site_id"], event["geofence_radius_m"]) == (site.id, 400)
    [trail] = sent.audit()
    assert trail["action"] == "site.update"
    assert trail["before"] == {"name": "Harbor Cafe", "geofence_radius_m": 150}
    assert trail["after"] == {"name": "Harbor Cafe West", "geofence_radius_m": 400}


def test_a_change_that_changes_nothing_writes_nothing(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    sent = Outbox(uow)
    update(uow, cbo.staff, site, name="Harbor Cafe", zip="90802", state="ca")
    assert sent.types() == []


def test_a_new_zip_code_without_coordinates_moves_the_site_to_its_centroid(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a, latitude=33.75, longitude=-118.2)
    update(uow, cbo.staff, site, address_line1="4000 Long Beach Blvd")  # same ZIP: kept
    assert (site.latitude, site.longitude) == (33.75, -118.2)
    moved = update(uow, cbo.staff, site, zip="90807")
    assert (moved.latitude, moved.longitude) == pytest.approx(BIXBY_KNOLLS)
    placed = update(uow, cbo.staff, site, zip="90802", latitude=33.77, longitude=-118.19)
    assert (placed.zip, placed.latitude, placed.longitude) == ("90802", 33.77, -118.19)
    cleared = update(uow, cbo.staff, site, latitude=None, longitude=None)
    assert (cleared.latitude, cleared.longitude) == pytest.approx(DOWNTOWN_LB)
    with pytest.raises(ValidationFailed) as unknown:
        update(uow, cbo.staff, site, zip="99999")
    assert set(unknown.value.fields) == {"zip"}
    with pytest.raises(ValidationFailed) as half:
        update(uow, cbo.staff, site, latitude=33.9)
    assert set(half.value.fields) == {"longitude"}
    assert site.zip == "90802"


def test_a_cleared_time_zone_is_the_cbos_again(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a, timezone="America/Chicago")
    assert site.timezone == "America/Chicago"
    assert update(uow, cbo.staff, site, timezone=None).timezone == "America/Phoenix"


def test_a_deactivated_site_stays_and_takes_no_new_bookings(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    sent = Outbox(uow)
    closed = domain.deactivate_site(uow, caller=cbo.user_a, tenant_id=cbo.id, site_id=site.id)
    again = domain.deactivate_site(uow, caller=cbo.staff, tenant_id=cbo.id, site_id=site.id)
    assert closed.active is False and again.active is False
    assert sent.one("site.updated")["data"]["changed"] == ["active"]
    with pytest.raises(ValidationFailed) as refused:
        domain.site_for_client(uow, tenant_id=cbo.id, client_id=cbo.a, site_id=site.id)
    assert set(refused.value.fields) == {"site_id"}
    assert listed(uow, cbo.user_a) == ["Harbor Cafe"]


def test_the_site_of_a_booking_is_one_of_its_clients(uow, cbo):
    site = made_site(uow, tenant_id=cbo.id, client_id=cbo.a)
    found = domain.site_for_client(uow, tenant_id=cbo.id, client_id=cbo.a, site_id=site.id)
    assert found.id == site.id
    with pytest.raises(NotFound):
        domain.site_for_client(uow, tenant_id=cbo.id, client_id=cbo.b, site_id=site.id)
    with pytest.raises(NotFound):
        domain.site_for_client(
            uow, tenant_id=a_cbo_record(uow).tenant_id, client_id=cbo.a, site_id=site.id
        )
    with pytest.raises(NotFound):
        domain.site_for_client(uow, tenant_id=cbo.id, client_id=cbo.a, site_id="no-such-site")


def test_the_cbos_time_zone_as_booking_knows_it(uow):
    tenant_id = a_cbo_record(uow, timezone="Asia/Phnom_Penh").tenant_id
    assert domain.cbo_timezone(uow, tenant_id=tenant_id) == "Asia/Phnom_Penh"
    assert domain.cbo_timezone(uow, tenant_id="unheard-of") == "America/Los_Angeles"
