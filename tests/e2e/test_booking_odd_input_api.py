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
from services.booking.sites.routes import ROUTES as SITES
from tests.e2e.market import a_cbo, client_user, register_client
from tests.e2e.tokens import mint_token

ROUTES = JOB_TYPES + SITES + SETTINGS + SEARCH + BOOKINGS + OFFERS + ATTENDANCE + RELIABILITY
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
ODD_IDS = ("%00", "9" * 300, "%C3%A9%E2%98%83", str(uuid.uuid4()))
HUGE = 10**30
ODD_BODIES = (
    [],
    "text",
    {key: "a\x00b" for key in ("reason", "text", "note", "outcome", "rating", "jobseeker_id")},
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
def callers(api, operator_token, platform) -> dict[str, str]:
    cbo = a_cbo(api, operator_token, platform, "oddin")
    client = register_client(api, cbo["owner"], "Odd Input Cafe")
    return {
        "staff": cbo["owner"],
        "client user": client_user(platform, cbo["id"], client),
        "job seeker": mint_token(
            platform,
            tenant_id=cbo["id"],
            kind="jobseeker",
            roles=["jobseeker"],
            user_id=str(uuid.uuid4()),
        ),
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_odd_input_is_never_a_500(api, callers, route):
    failures = []
    for who, token in callers.items():
        for odd_id in ODD_IDS:
            path = PARAM.sub(odd_id, route.path)
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
