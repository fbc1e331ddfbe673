"""Every booking route, called by each kind of caller with odd path ids (a NUL byte, a very
long one, unicode, someone else's), odd bodies (NUL bytes, huge numbers, wrong types) and odd
paging, answers a 4xx: never a 500. A review's sweep: the areas' own tests check each answer."""

from __future__ import annotations

import re
import uuid

import pytest

from services.booking.attendance.routes import ROUTES as ATTENDANCE
from services.booking.bookings.routes import ROUTES as BOOKINGS
from services.booking.jobtypes.routes import ROUTES as JOB_TYPES
from services.booking.offers.routes import ROUTES as OFFERS
from services.booking.reliability.routes import ROUTES as RELIABILITY
from services.booking.search.routes import ROUTES as SEARCH
from services.booking.settings.routes import ROUTES as SETTINGS
from services.booking.sharing.routes import ROUTES as SHARING
from services.booking.sites.routes import ROUTES as SITES
from tests.e2e.market import (
    a_cbo,
    a_job_type,
    a_site,
    book,
    client_user,
    days_ahead,
    register_client,
)
from tests.e2e.tokens import mint_token

ROUTES = (
    JOB_TYPES + SITES + SETTINGS + SEARCH + BOOKINGS + OFFERS + SHARING + ATTENDANCE + RELIABILITY
)
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
ODD_IDS = ("%00", "9" * 300, "%C3%A9%E2%98%83", str(uuid.uuid4()))
HUGE = 10**30
ODD_BODIES = (
    [],
    "text",
    {key: "a\x00b" for key in ("reason", "text", "note", "outcome", "rating", "jobseeker_id")},
    {"partner_ids": ["\x00", HUGE, None, "x" * 300], "url": "http://\x00", "events": [HUGE]},
    {"partner_ids": "not a list", "active": "maybe", "description": ["x"]},
    {
        key: HUGE
        for key in ("positions", "minutes_late", "page", "per_page", "confirm_within_minutes")
    },
    {"client_id": "\x00", "job_type_id": "é" * 40, "site_id": HUGE, "starts_at": "\x00"},
)
ODD_QUERIES = (
    f"page={HUGE}&per_page={HUGE}",
    "page=-1&per_page=0",
    "q=%00&sort=%00&status=%00&client_id=%00",
    "from=%00&to=99999-99-99&worker_id=" + "x" * 300,
)


@pytest.fixture(scope="module")
def cbo(api, operator_token, platform) -> dict:
    """A CBO with a client, its job type, site and an open booking (real ids for the paths),
    and a token of each kind of caller."""
    cbo = a_cbo(api, operator_token, platform, "oddin")
    client = register_client(api, cbo["owner"], "Odd Input Cafe")
    job_type = a_job_type(api, cbo["owner"], "Odd Server")
    site = a_site(api, cbo["owner"], client, "Odd Pier")
    booking = book(
        api,
        cbo["owner"],
        client_id=client,
        site_id=site["id"],
        job_type_id=job_type["id"],
        on=days_ahead(10),
    )
    return {
        "ids": {
            "client_id": client,
            "job_type_id": job_type["id"],
            "site_id": site["id"],
            "booking_id": booking["id"],
            "shift_id": booking["shifts"][0]["id"],
        },
        "callers": {
            "staff": cbo["owner"],
            "client user": client_user(platform, cbo["id"], client),
            "job seeker": mint_token(
                platform,
                tenant_id=cbo["id"],
                kind="jobseeker",
                roles=["jobseeker"],
                user_id=str(uuid.uuid4()),
            ),
        },
    }


def paths(route, ids: dict[str, str]) -> list[str]:
    """The route's path with each odd id, and with the CBO's own ids (odd bodies then reach
    the checks past the lookup)."""
    odd = [PARAM.sub(odd_id, route.path) for odd_id in ODD_IDS]
    own = PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), route.path)
    return [*odd, own] if own not in odd else odd


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_odd_input_is_never_a_500(api, cbo, route):
    failures = []
    for who, token in cbo["callers"].items():
        for path in paths(route, cbo["ids"]):
            if route.method == "GET":
                calls = [{"path": f"{path}?{query}"} for query in ODD_QUERIES]
            else:
                calls = [{"path": path, "json": body} for body in ODD_BODIES]
            for call in calls:
                response = api(route.method, call.pop("path"), token, **call)
                if response.status_code >= 500:
                    failures.append(
                        f"{who} {route.method} {response.url}: {response.status_code} "
                        f"{response.text[:200]}"
                    )
    assert not failures, "\n".join(failures)
