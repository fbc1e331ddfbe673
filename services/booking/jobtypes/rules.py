"""Pure rules of job types: their keys, rates, skills and who may see a client-exclusive one.

A job type's key is the name identity's per-job-type approvals use
(chassis.contracts.identity_rpc.JOB_TYPE_KEY: lower-case letters, digits, '_', '.', '-', at
most 64, starting with a letter or digit). Staff may give one; otherwise it is derived from the
name ("Forklift Operator" -> "forklift-operator").

Rates are integer cents per hour: the pay rate is what the worker earns, the bill rate what the
client pays, never less than the pay rate. A client-exclusive job type's pay rate is fixed: a
booking cannot change it.
"""

from __future__ import annotations

import re
import unicodedata

from marshmallow import ValidationError

from chassis.contracts.identity_rpc import JOB_TYPE_KEY

KEY_LENGTH = 64
# $1 to $1,000 an hour, pay and bill alike.
MIN_RATE_CENTS = 100
MAX_RATE_CENTS = 100_000
# 15 minutes to 24 hours.
MIN_SHIFT_MINUTES = 15
MAX_SHIFT_MINUTES = 24 * 60
DEFAULT_MIN_SHIFT_MINUTES = 60
SKILL_LENGTH = 60
MAX_SKILLS = 30

_NOT_KEY = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def is_key(value: str) -> bool:
    """True for a key identity's approvals accept."""
    try:
        JOB_TYPE_KEY(value)
    except ValidationError:
        return False
    return True


def derive_key(name: str) -> str | None:
    """The key a name gives: accents dropped, lower case, every run of other characters one
    '-', at most 64 characters; None when nothing of the name is left (a name only in Khmer
    script, say), so the caller must choose another key."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    key = _NOT_KEY.sub("-", ascii_name.lower()).strip("-")
    key = key[:KEY_LENGTH].rstrip("-")
    return key or None


def numbered_key(key: str, number: int) -> str:
    """`key` with `-<number>` on the end, shortened so the whole stays within 64 characters
    (the second "Cook" is "cook-2")."""
    suffix = f"-{number}"
    stem = key[: KEY_LENGTH - len(suffix)].rstrip("-")
    return f"{stem}{suffix}"


def normalise_skill(value: str) -> str:
    """A skill as identity keeps job seekers' skills: a short lower-case phrase with single
    spaces ("Home  Care " -> "home care"); raises ValueError if it is empty or too long."""
    text = _SPACES.sub(" ", value).strip().lower()
    if not 1 <= len(text) <= SKILL_LENGTH:
        raise ValueError(f"A skill is 1 to {SKILL_LENGTH} characters.")
    return text


def normalise_skills(values: list[str]) -> list[str]:
    """Each skill normalised, duplicates dropped, in the order given."""
    return list(dict.fromkeys(normalise_skill(v) for v in values))


def rate_problems(pay_rate_cents: int, bill_rate_cents: int) -> dict[str, list[str]]:
    """What is wrong with a pair of hourly rates, by field ({} when nothing is)."""
    problems: dict[str, list[str]] = {}
    for field, value in (("pay_rate_cents", pay_rate_cents), ("bill_rate_cents", bill_rate_cents)):
        if not MIN_RATE_CENTS <= value <= MAX_RATE_CENTS:
            problems[field] = [
                f"Give cents per hour from {MIN_RATE_CENTS} to {MAX_RATE_CENTS} "
                f"(${MIN_RATE_CENTS // 100} to ${MAX_RATE_CENTS // 100:,})."
            ]
    if not problems and bill_rate_cents < pay_rate_cents:
        problems["bill_rate_cents"] = [
            "The bill rate cannot be less than the pay rate "
            f"({bill_rate_cents} < {pay_rate_cents} cents per hour)."
        ]
    return problems


def visible_to(job_type_client_id: str | None, scope: str | None) -> bool:
    """Whether a caller whose client scope is `scope` (a client user's own client; None for the
    CBO's staff) may see a job type exclusive to `job_type_client_id` (None: every client's).
    To anybody else an exclusive job type does not exist."""
    return job_type_client_id is None or scope is None or job_type_client_id == scope


def bookable_for(job_type_client_id: str | None, client_id: str) -> bool:
    """Whether a job type may be booked for `client_id`: a CBO-wide one for every client, an
    exclusive one only for its own client (also when staff book on a client's behalf)."""
    return job_type_client_id is None or job_type_client_id == client_id


def pay_rate_is_fixed(job_type_client_id: str | None) -> bool:
    """A client-exclusive job type's pay rate is fixed; a CBO-wide one's is a default."""
    return job_type_client_id is not None


def booking_rates(
    *,
    job_type_client_id: str | None,
    default_pay: int,
    default_bill: int,
    pay: int | None,
    bill: int | None,
    by_staff: bool,
) -> tuple[int, int, dict[str, list[str]]]:
    """The hourly pay and bill rates of a booking: the job type's defaults unless staff give
    others; a client-exclusive job type's pay rate is fixed. Returns (pay, bill, problems by
    field); the rates mean nothing when there are problems."""
    problems: dict[str, list[str]] = {}
    if not by_staff:
        for field, value in (("pay_rate_cents", pay), ("bill_rate_cents", bill)):
            if value is not None:
                problems[field] = ["Only the CBO's staff set a booking's rates."]
        return default_pay, default_bill, problems
    if pay is not None and pay != default_pay and pay_rate_is_fixed(job_type_client_id):
        problems["pay_rate_cents"] = [
            f"This client-exclusive job type pays a fixed {default_pay} cents per hour."
        ]
        return default_pay, default_bill, problems
    chosen_pay = default_pay if pay is None else pay
    chosen_bill = default_bill if bill is None else bill
    return chosen_pay, chosen_bill, rate_problems(chosen_pay, chosen_bill)
