"""Text checked against a pattern is taken whole. A pattern that ends in `$` also matches just
before a final newline, so `re.match(r"^\\d{5}$", "90802\\n")` lets "90802\\n" through: every
pattern ends in `\\Z` (or is used with fullmatch)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from marshmallow import ValidationError

from gateway.service import REQUEST_ID
from services.identity.accounts.schemas import SLUG
from services.identity.jobseekers.schemas import POSTAL_CODE as HOME_AREA
from services.identity.jobseekers.schemas import JobTypeApprovalSchema, SlotSchema
from services.identity.staff.schemas import RoleCreateSchema
from services.tenancy.clients.schemas import ClientInputSchema
from tests.factories import client_details

ROOT = Path(__file__).resolve().parents[2]


def refused_fields(schema, data: dict) -> set[str]:
    return set(schema.validate(data))


def refused_by(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return True
    return False


# name: (a good value, whether that value is refused)
CHECKS = {
    "a slot's start": (
        "09:00",
        lambda v: refused_fields(SlotSchema(), {"start": v, "end": "13:00"}) == {"start"},
    ),
    "a slot's end": (
        "24:00",
        lambda v: refused_fields(SlotSchema(), {"start": "09:00", "end": v}) == {"end"},
    ),
    "a job type": (
        "home_care",
        lambda v: refused_fields(JobTypeApprovalSchema(), {"job_type": v}) == {"job_type"},
    ),
    "a role's name": (
        "intake",
        lambda v: "name" in refused_fields(RoleCreateSchema(), {"name": v, "permissions": []}),
    ),
    "a client's phone": (
        "562 555 0100",
        lambda v: (
            refused_fields(ClientInputSchema(), client_details(billing_phone=v))
            == {"billing_phone"}
        ),
    ),
    "a client's ZIP code": (
        "90802",
        lambda v: (
            refused_fields(ClientInputSchema(), client_details(postal_code=v)) == {"postal_code"}
        ),
    ),
    "a job seeker's home area": ("90802", lambda v: refused_by(HOME_AREA, v)),
    "a CBO's slug at sign-in": ("harbor-works", lambda v: refused_by(SLUG, v)),
    "a request id the gateway passes on": ("req-12345678", lambda v: not REQUEST_ID.match(v)),
}


@pytest.mark.parametrize("name", CHECKS)
def test_a_value_with_a_newline_after_it_is_refused_where_the_value_alone_is_taken(name):
    good, refused = CHECKS[name]
    assert not refused(good)
    assert refused(good + "\n")


def test_an_empty_phone_number_is_still_allowed():
    assert refused_fields(ClientInputSchema(), client_details(billing_phone="")) == set()


def _patterns_ending_in_dollar(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("^")
        and node.value.endswith("$")
    ]


def test_no_pattern_ends_in_dollar():
    found = [
        problem
        for folder in ("chassis", "gateway", "services")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for problem in _patterns_ending_in_dollar(path)
    ]
    assert found == []
