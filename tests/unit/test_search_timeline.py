"""The batch re-check's timeline of a worker's commitments (search.domain._Timeline): finding
those between two moments by their order gives what reading them all gives."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.booking.search.domain import _Timeline

START = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Held:
    starts_at: datetime
    ends_at: datetime


def test_the_commitments_between_two_moments_are_those_reading_them_all_finds():
    rng = random.Random(7)
    timeline, everything = _Timeline(), []
    for _ in range(400):
        starts = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        held = Held(starts, starts + timedelta(minutes=rng.choice([30, 240, 600, 60 * 30])))
        timeline.add(held)
        everything.append(held)
    for _ in range(300):
        first = START + timedelta(minutes=rng.randrange(-600, 60 * 24 * 62))
        last = first + timedelta(minutes=rng.randrange(1, 60 * 24 * 14))
        found = timeline.between(first, last)
        expected = [h for h in everything if h.starts_at < last and h.ends_at > first]
        assert sorted(found, key=id) == sorted(expected, key=id)
    assert timeline.between(START - timedelta(days=9), START - timedelta(days=8)) == []
