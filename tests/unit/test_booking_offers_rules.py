"""Offers' pure rules: tier order and skipping empty tiers, the next candidates of a
favourites-mode shift, deadline clamps, and what stops an answer or an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.bookings.models import TIERS
from services.booking.offers import rules

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DELAY = timedelta(minutes=10)


def tiers_of(**people: list[str]):
    """`candidates_in` over a fixed table, recording which tiers were asked."""
    asked: list[str] = []

    def candidates_in(tier: str) -> list[str]:
        asked.append(tier)
        return people.get(tier, [])

    return candidates_in, asked


# -- open shifts: tiers ---------------------------------------------------------------------


def test_tiers_go_favourites_reliable_eligible_partners():
    assert TIERS == ("favourites", "reliable", "eligible", "partners")


def test_the_first_release_is_the_favourites_with_the_next_tier_due_after_the_delay():
    candidates_in, asked = tiers_of(favourites=["fay"], reliable=["rae"])
    release = rules.release_next_tier(
        released=None, candidates_in=candidates_in, now=NOW, delay=DELAY
    )
    assert (release.tier, release.candidates, release.next_at) == (0, ["fay"], NOW + DELAY)
    assert asked == ["favourites"]  # the later tiers are not asked yet
    assert not release.exhausted


@pytest.mark.parametrize(
    ("released", "expected_tier", "expected"),
    [(0, 1, ["rae"]), (1, 2, ["eli"]), (2, 3, ["pat"])],
)
def test_each_release_is_the_tier_after_the_last(released, expected_tier, expected):
    candidates_in, _ = tiers_of(
        favourites=["fay"], reliable=["rae"], eligible=["eli"], partners=["pat"]
    )
    release = rules.release_next_tier(
        released=released, candidates_in=candidates_in, now=NOW, delay=DELAY
    )
    assert (release.tier, release.candidates) == (expected_tier, expected)


def test_the_last_tier_leaves_nothing_due():
    candidates_in, _ = tiers_of(partners=["pat"])
    release = rules.release_next_tier(released=2, candidates_in=candidates_in, now=NOW, delay=DELAY)
    assert (release.tier, release.candidates, release.next_at) == (3, ["pat"], None)


def test_empty_tiers_are_skipped_at_once():
    candidates_in, asked = tiers_of(eligible=["eli", "eve"])
    release = rules.release_next_tier(
        released=None, candidates_in=candidates_in, now=NOW, delay=DELAY
    )
    assert (release.tier, release.candidates, release.next_at) == (2, ["eli", "eve"], NOW + DELAY)
    assert asked == ["favourites", "reliable", "eligible"]


def test_nobody_in_any_tier_left_exhausts_the_shift():
    candidates_in, asked = tiers_of()
    release = rules.release_next_tier(released=0, candidates_in=candidates_in, now=NOW, delay=DELAY)
    assert (release.tier, release.candidates, release.next_at) == (3, [], None)
    assert release.exhausted
    assert asked == ["reliable", "eligible", "partners"]


def test_after_the_last_tier_nothing_is_asked():
    candidates_in, asked = tiers_of(partners=["pat"])
    release = rules.release_next_tier(released=3, candidates_in=candidates_in, now=NOW, delay=DELAY)
    assert release.exhausted and release.next_at is None
    assert asked == []


def test_a_tier_channel_names_the_tier():
    assert [rules.tier_channel(i) for i in range(4)] == [
        "tier:favourites",
        "tier:reliable",
        "tier:eligible",
        "tier:partners",
    ]


# -- favourites mode: one live offer per open position ---------------------------------------


@pytest.mark.parametrize(
    ("positions", "filled", "live", "needed"),
    [(1, 0, 0, 1), (1, 0, 1, 0), (3, 1, 1, 1), (2, 2, 0, 0), (2, 1, 3, 0), (5, 0, 0, 5)],
)
def test_offers_needed_keeps_one_live_offer_per_open_position(positions, filled, live, needed):
    assert rules.offers_needed(positions=positions, filled=filled, live_offers=live) == needed


def pick(needed, favourites, ranking, exclude=()):
    return rules.next_candidates(
        needed=needed, favourites=favourites, ranking=ranking, key=lambda w: w, exclude=exclude
    )


def test_favourites_come_first_then_the_ranking():
    assert pick(3, ["fay"], ["rae", "eli"]) == [
        ("fay", "favourites"),
        ("rae", "ranking"),
        ("eli", "ranking"),
    ]


def test_the_next_candidate_skips_those_already_offered_and_never_repeats_one():
    assert pick(2, ["fay", "fin"], ["fay", "fin", "rae", "eli"], exclude={"fay"}) == [
        ("fin", "favourites"),
        ("rae", "ranking"),
    ]


def test_no_more_than_needed_and_none_when_nothing_is_needed():
    assert pick(1, ["fay", "fin"], ["rae"]) == [("fay", "favourites")]
    assert pick(0, ["fay"], ["rae"]) == []


def test_when_everyone_was_tried_there_is_no_next_candidate():
    assert pick(1, ["fay"], ["fay", "rae"], exclude={"fay", "rae"}) == []


# -- deadlines --------------------------------------------------------------------------------


def test_a_deadline_is_the_settings_one_when_it_falls_before_the_start():
    starts = NOW + timedelta(days=3)
    computed = NOW + timedelta(hours=12)
    assert rules.offer_deadline(computed=computed, now=NOW, starts_at=starts) == computed


def test_a_deadline_is_never_after_the_shift_starts():
    starts = NOW + timedelta(hours=2)
    computed = NOW + timedelta(hours=12)
    assert rules.offer_deadline(computed=computed, now=NOW, starts_at=starts) == starts


def test_a_deadline_is_never_before_the_offer_is_made():
    starts = NOW + timedelta(hours=2)
    computed = NOW - timedelta(minutes=5)
    assert rules.offer_deadline(computed=computed, now=NOW, starts_at=starts) == NOW


# -- answering --------------------------------------------------------------------------------

LIVE = {
    "status": "sent",
    "deadline_at": NOW + timedelta(hours=1),
    "end_reason": None,
    "now": NOW,
    "shift_status": "open",
    "starts_at": NOW + timedelta(hours=5),
}


def test_a_live_offer_on_an_open_shift_may_be_answered_and_confirmed():
    assert rules.answer_refusal(**LIVE) is None
    assert rules.confirm_refusal(**LIVE, positions=2, filled=1) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "confirmed"}, "You have already confirmed this offer."),
        ({"status": "declined"}, "You declined this offer; it can no longer be confirmed."),
        (
            {"status": "expired"},
            "This offer expired at 2026-12-07 10:00 UTC; it can no longer be confirmed.",
        ),
        (
            {"status": "withdrawn", "end_reason": "shift filled"},
            "This offer was withdrawn (shift filled); it can no longer be confirmed.",
        ),
        (
            {"status": "withdrawn"},
            "This offer was withdrawn; it can no longer be confirmed.",
        ),
        (
            {"now": NOW + timedelta(hours=1)},
            "The time to answer this offer ended at 2026-12-07 10:00 UTC.",
        ),
        ({"shift_status": "cancelled"}, "This shift was cancelled."),
        (
            {"starts_at": NOW, "deadline_at": NOW + timedelta(minutes=1)},
            "This shift has already started.",
        ),
    ],
)
def test_what_stops_an_answer(change, message):
    assert rules.answer_refusal(**{**LIVE, **change}) == message
    assert rules.confirm_refusal(**{**LIVE, **change}, positions=1, filled=0) == message


def test_a_full_shift_cannot_be_confirmed():
    assert rules.confirm_refusal(**LIVE, positions=2, filled=2) == (
        "Every position of this shift is taken."
    )
    assert rules.confirm_refusal(**{**LIVE, "shift_status": "filled"}, positions=2, filled=2) == (
        "Every position of this shift is taken."
    )


# -- expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "deadline", "outcome"),
    [
        ("sent", NOW - timedelta(seconds=1), rules.EXPIRE),
        ("sent", NOW, rules.EXPIRE),
        ("sent", NOW + timedelta(seconds=1), rules.TOO_EARLY),
        ("confirmed", NOW - timedelta(hours=1), rules.ALREADY_ENDED),
        ("declined", NOW + timedelta(hours=1), rules.ALREADY_ENDED),
        ("expired", NOW - timedelta(hours=1), rules.ALREADY_ENDED),
        ("withdrawn", NOW + timedelta(hours=1), rules.ALREADY_ENDED),
    ],
)
def test_only_a_sent_offer_past_its_deadline_expires(status, deadline, outcome):
    assert rules.expiry(status=status, deadline_at=deadline, now=NOW) == outcome


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("confirmed", "You have already confirmed this offer."),
        ("declined", "You declined this offer; it can no longer be declined."),
        ("withdrawn", "This offer was withdrawn (shift filled); it can no longer be declined."),
    ],
)
def test_a_decline_is_refused_in_its_own_words(status, message):
    refusal = rules.answer_refusal(
        **{**LIVE, "status": status, "end_reason": "shift filled"}, done="declined"
    )
    assert refusal == message
