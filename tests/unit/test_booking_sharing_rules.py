"""Partner sharing's pure rules: which partners a share goes to; which shifts may be shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.sharing import rules

SHARING = {"p1": "ship1", "p2": "ship2"}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("asked", "chosen", "unknown"),
    [
        (None, SHARING, []),  # none named: every partner sharing opportunities
        ([], SHARING, []),
        (["p2"], {"p2": "ship2"}, []),
        (["p2", "p1"], {"p2": "ship2", "p1": "ship1"}, []),
        (["p1", "x"], {"p1": "ship1"}, ["x"]),  # a CBO that is no such partner
        (["x", "x", "y"], {}, ["x", "y"]),
    ],
)
def test_chosen_partners(asked, chosen, unknown):
    assert rules.chosen_partners(SHARING, asked) == (chosen, unknown)


def test_no_partners_chooses_nobody():
    assert rules.chosen_partners({}, None) == ({}, [])
    assert rules.chosen_partners({}, ["p1"]) == ({}, ["p1"])


@pytest.mark.parametrize(
    ("status", "starts_in", "refused"),
    [
        ("open", timedelta(hours=1), None),
        ("open", timedelta(0), "already started"),
        ("open", -timedelta(hours=1), "already started"),
        ("filled", timedelta(hours=1), "filled"),
        ("cancelled", timedelta(hours=1), "cancelled"),
        ("completed", timedelta(hours=1), "completed"),
    ],
)
def test_share_refusal(status, starts_in, refused):
    found = rules.share_refusal(shift_status=status, starts_at=NOW + starts_in, now=NOW)
    if refused is None:
        assert found is None
    else:
        assert found is not None and refused in found
