"""Text checked against a pattern is taken whole. A pattern that ends in `$` also matches just
before a final newline, so `re.match(r"^\\d{5}$", "90802\\n")` lets "90802\\n" through: schemas
use chassis.schemas.Pattern (fullmatch, and the pattern stays valid in the OpenAPI document),
and any other pattern ends in `\\Z`."""

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
from tests.source import syntax_tree

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


def _loose_patterns(path: Path) -> list[str]:
    """Patterns in `path` that a final newline slips past: a marshmallow Regexp (re.match), or
    an anchored pattern ending in `$` anywhere but as the pattern of a chassis Pattern."""
    tree = syntax_tree(path)
    in_pattern = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Pattern"
    }
    where = f"{path.relative_to(ROOT)}"
    found = [
        f"{where}:{node.lineno}: validate.Regexp (use chassis.schemas.Pattern)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "Regexp"
    ]
    found += [
        f"{where}:{node.lineno}: {node.value!r} (end it with \\Z, or give it to Pattern)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("^")
        and node.value.endswith("$")
        and id(node) not in in_pattern
    ]
    return found


def test_no_pattern_lets_a_final_newline_through():
    found = [
        problem
        for folder in ("chassis", "gateway", "services")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "chassis" / "schemas.py"
        for problem in _loose_patterns(path)
    ]
    assert found == []
