"""Job types' pure rules: keys derived from names, rates, skills, who sees an exclusive one;
and the schemas that take them from a request."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.booking.jobtypes import rules
from services.booking.jobtypes.schemas import JobTypeInputSchema, JobTypeUpdateSchema

A, B = "client-a", "client-b"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Forklift Operator", "forklift-operator"),
        ("  Home care  ", "home-care"),
        ("Café Server", "cafe-server"),
        ("Niño's Helper", "nino-s-helper"),
        ("Cook / Prep (AM)", "cook-prep-am"),
        ("24h Security", "24h-security"),
        ("CDL_Driver.Class-A", "cdl-driver-class-a"),
        ("---", None),
        ("អ្នកបម្រើ", None),  # Khmer only: nothing latin is left
        ("", None),
        ("a" * 80, "a" * 64),
        ("x" * 63 + " y", "x" * 63),  # never ends in '-' after shortening
    ],
)
def test_a_key_is_derived_from_the_name(name, key):
    assert rules.derive_key(name) == key
    if key is not None:
        assert rules.is_key(key)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("forklift", True),
        ("home_care", True),
        ("cdl.class-a", True),
        ("9to5", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("-lead", False),
        ("Forklift", False),
        ("fork lift", False),
        ("forklift\n", False),
        ("", False),
        ("caf\u00e9", False),
    ],
)
def test_a_key_is_what_identitys_approvals_accept(value, valid):
    assert rules.is_key(value) is valid


@pytest.mark.parametrize(
    ("key", "number", "numbered"),
    [
        ("cook", 2, "cook-2"),
        ("cook", 10, "cook-10"),
        ("a" * 64, 2, "a" * 62 + "-2"),
        ("a" * 61 + "-bb", 12, "a" * 61 + "-12"),
    ],
)
def test_a_numbered_key_stays_within_64_characters(key, number, numbered):
    assert rules.numbered_key(key, number) == numbered
    assert len(numbered) <= rules.KEY_LENGTH and rules.is_key(numbered)


@pytest.mark.parametrize(
    ("value", "skill"),
    [("Forklift", "forklift"), ("  Home   Care ", "home care"), ("x" * 60, "x" * 60)],
)
def test_a_skill_is_kept_as_identity_keeps_job_seekers_skills(value, skill):
    assert rules.normalise_skill(value) == skill


@pytest.mark.parametrize("value", ["", "   ", "x" * 61])
def test_an_empty_or_long_skill_is_refused(value):
    with pytest.raises(ValueError, match="1 to 60"):
        rules.normalise_skill(value)


def test_skills_lose_their_duplicates_and_keep_their_order():
    assert rules.normalise_skills(["Lifting", "forklift", "LIFTING "]) == ["lifting", "forklift"]


@pytest.mark.parametrize(
    ("pay", "bill", "problems"),
    [
        (2000, 2800, set()),
        (2000, 2000, set()),
        (100, 100, set()),
        (100_000, 100_000, set()),
        (2000, 1999, {"bill_rate_cents"}),
        (99, 2800, {"pay_rate_cents"}),
        (2000, 100_001, {"bill_rate_cents"}),
        (0, 0, {"pay_rate_cents", "bill_rate_cents"}),
        (-5, 2800, {"pay_rate_cents"}),
        (10**12, 10**12, {"pay_rate_cents", "bill_rate_cents"}),
    ],
)
def test_rates_are_within_bounds_and_the_bill_rate_is_never_below_the_pay_rate(pay, bill, problems):
    assert set(rules.rate_problems(pay, bill)) == problems


def test_a_bill_rate_below_the_pay_rate_says_both():
    [message] = rules.rate_problems(2000, 1500)["bill_rate_cents"]
    assert "1500 < 2000" in message


@pytest.mark.parametrize(
    ("owner", "scope", "visible"),
    [
        (None, None, True),  # staff, CBO-wide
        (None, A, True),  # client user, CBO-wide
        (A, None, True),  # staff see every client's exclusive job types
        (A, A, True),  # its own client's user
        (A, B, False),  # another client's user: it does not exist
    ],
)
def test_an_exclusive_job_type_is_seen_by_its_client_and_staff_only(owner, scope, visible):
    assert rules.visible_to(owner, scope) is visible


@pytest.mark.parametrize(
    ("owner", "client", "bookable"), [(None, A, True), (A, A, True), (A, B, False)]
)
def test_an_exclusive_job_type_is_booked_for_its_own_client_only(owner, client, bookable):
    assert rules.bookable_for(owner, client) is bookable


def test_only_an_exclusive_job_types_pay_rate_is_fixed():
    assert rules.pay_rate_is_fixed(A) and not rules.pay_rate_is_fixed(None)


# -- schemas -----------------------------------------------------------------------------------


def job_type(**overrides):
    return {"name": "Forklift", "pay_rate_cents": 2000, "bill_rate_cents": 2800, **overrides}


def refused(schema, data) -> dict:
    with pytest.raises(ValidationError) as raised:
        schema.load(data)
    return raised.value.messages_dict


def test_a_job_type_takes_defaults_and_tidies_its_text():
    loaded = JobTypeInputSchema().load(
        job_type(name="  Forklift ", required_skills=["Forklift", " forklift", "Lifting"])
    )
    assert loaded == {
        "name": "Forklift",
        "description": "",
        "required_skills": ["forklift", "lifting"],
        "needs_approval": False,
        "pay_rate_cents": 2000,
        "bill_rate_cents": 2800,
        "min_shift_minutes": 60,
        "requirements": "",
        "active": True,
        "key": None,
        "client_id": None,
    }


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": "   "}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": 7}, {"name"}),
        ({"key": "Not A Key"}, {"key"}),
        ({"key": "fork\n"}, {"key"}),
        ({"pay_rate_cents": "2000"}, {"pay_rate_cents"}),
        ({"pay_rate_cents": 20.5}, {"pay_rate_cents"}),
        (
            {"pay_rate_cents": 10**30, "bill_rate_cents": 10**30},
            {"pay_rate_cents", "bill_rate_cents"},
        ),
        ({"bill_rate_cents": 1000}, {"bill_rate_cents"}),
        ({"min_shift_minutes": 5}, {"min_shift_minutes"}),
        ({"min_shift_minutes": 24 * 60 + 1}, {"min_shift_minutes"}),
        ({"required_skills": ["ok", ""]}, {"required_skills"}),
        ({"required_skills": [f"s{i}" for i in range(31)]}, {"required_skills"}),
        ({"required_skills": "forklift"}, {"required_skills"}),
        ({"client_id": ""}, {"client_id"}),
        ({"client_id": "x" * 37}, {"client_id"}),
        ({"description": "x" * 5001}, {"description"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_a_bad_job_type_is_refused_field_by_field(changes, fields):
    assert set(refused(JobTypeInputSchema(), job_type(**changes))) == fields


def test_a_new_job_type_needs_a_name_and_both_rates():
    assert set(refused(JobTypeInputSchema(), {})) == {"name", "pay_rate_cents", "bill_rate_cents"}


def test_a_change_takes_any_subset_but_never_the_key_or_the_client():
    assert JobTypeUpdateSchema().load({"pay_rate_cents": 2100}) == {"pay_rate_cents": 2100}
    assert JobTypeUpdateSchema().load({}) == {}
    assert set(refused(JobTypeUpdateSchema(), {"key": "other", "client_id": A})) == {
        "key",
        "client_id",
    }
    both = refused(JobTypeUpdateSchema(), {"pay_rate_cents": 3000, "bill_rate_cents": 2000})
    assert set(both) == {"bill_rate_cents"}


# -- a booking's rates --------------------------------------------------------------------


def rates(**overrides):
    given = {
        "job_type_client_id": None,
        "default_pay": 2000,
        "default_bill": 2800,
        "pay": None,
        "bill": None,
        "by_staff": True,
    }
    return rules.booking_rates(**{**given, **overrides})


def test_a_booking_takes_the_job_types_rates_by_default():
    assert rates() == (2000, 2800, {})
    assert rates(by_staff=False) == (2000, 2800, {})


def test_staff_may_book_other_rates_within_the_bounds():
    assert rates(pay=2200, bill=3000) == (2200, 3000, {})
    assert rates(bill=3500) == (2000, 3500, {})
    assert "bill_rate_cents" in rates(pay=3000)[2]  # the default bill is now below the pay
    assert "pay_rate_cents" in rates(pay=50)[2]
    assert "bill_rate_cents" in rates(bill=10**6)[2]


def test_a_client_exclusive_job_types_pay_rate_is_fixed():
    assert "fixed 2000 cents" in rates(job_type_client_id="c1", pay=2100)[2]["pay_rate_cents"][0]
    assert rates(job_type_client_id="c1", pay=2000, bill=3200) == (2000, 3200, {})


def test_client_users_do_not_set_rates():
    problems = rates(by_staff=False, pay=2100, bill=3000)[2]
    assert set(problems) == {"pay_rate_cents", "bill_rate_cents"}
