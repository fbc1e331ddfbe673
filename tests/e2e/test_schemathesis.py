"""A short property-based run of the API against its own OpenAPI document (schemathesis), on
the running platform, signed in as a CBO owner and as a job seeker.

For every operation schemathesis sends valid and invalid requests (bodies, path and query
parameters, files; NUL characters included) and checks that no answer is a 5xx, that every
status is documented, and that every answer has the documented content type and schema.
Bounded for the suite's time: a fixed seed, a few examples per operation and role.

The document is the gateway's own (gateway.openapi), the one /api/openapi.json serves
(test_the_served_document_is_the_one_tested checks it), so each operation is its own test.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.openapi import build_openapi
from gateway.routes import ROUTES
from tests.e2e.addresses import another_address, session_from
from tests.e2e.test_accounts_api import approved_cbo
from tests.e2e.test_jobseekers_api import register_and_confirm

# About two minutes in all (both roles, every operation) on a 2-core machine; raise it, or
# change the seed, to look harder.
EXAMPLES_PER_OPERATION = int(os.environ.get("WORKLB_SCHEMATHESIS_EXAMPLES", "40"))
SEED = int(os.environ.get("WORKLB_SCHEMATHESIS_SEED", "20250601"))
DOCUMENT = build_openapi(ROUTES)
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "deterministic": True,
            "max-examples": EXAMPLES_PER_OPERATION,
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
            "fuzzing": {"enabled": True},
        },
    }
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Operations left out (label → why). None needs to be today: the run signs in to a CBO of its
# own, operator-only operations answer these roles 403, and destructive ones (deactivate,
# suspend, sign out, delete) only ever see generated ids and tokens, which match nothing.
# An operation that could wreck the run's own state (its CBO, its two accounts) goes here.
SKIPPED: dict[str, str] = {}

# Known failures inside identity or tenancy, left for their owners: operation → reason. An
# undocumented status is fixed by naming it in the route's `errors=(...)`.
UNDOCUMENTED = "answers a status its route does not document"
KNOWN_FAILURES: dict[str, str] = {}

schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG).exclude(
    func=lambda ctx: ctx.operation.label in SKIPPED
)


@pytest.fixture(scope="module")
def tokens(api, smtp, operator_token) -> dict[str, str]:
    """A CBO owner's and one of its job seekers' access tokens, from real sign-ins."""
    cbo = approved_cbo(api, smtp, operator_token, "fuzz")
    source = api(
        "POST",
        "/api/v1/worker-sources",
        cbo.owner,
        json={"name": "Fuzz College", "weekly_hour_cap": 14},
    )
    assert source.status_code == 201, source.text
    email = f"seeker@{cbo.slug}.example.org"
    _, jobseeker = register_and_confirm(api, smtp, {"slug": cbo.slug}, email)
    return {"owner": cbo.owner, "jobseeker": jobseeker}


@pytest.fixture(scope="module", params=["owner", "jobseeker"])
def role(request) -> str:
    return request.param


def test_the_served_document_is_the_one_tested(api):
    assert api("GET", "/api/openapi.json").json() == DOCUMENT


@pytest.fixture(scope="module")
def fuzzing_session():
    """The run asks from an address of its own: it asks for password resets more often than
    one address may, and must not use up the limit the other tests' address has."""
    return session_from(another_address())


@schema.parametrize()
def test_the_api_keeps_its_document(case, request, platform, tokens, role, fuzzing_session):
    reason = KNOWN_FAILURES.get(case.operation.label)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))
    case.call_and_validate(
        base_url=platform.url,
        session=fuzzing_session,
        headers={"Authorization": f"Bearer {tokens[role]}"},
        checks=CHECKS,
        timeout=30,
    )
