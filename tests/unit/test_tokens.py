from datetime import UTC, datetime, timedelta

import pytest

from chassis.errors import Unauthenticated
from chassis.tokens import ACCESS, REFRESH, issue, verify

SECRET = "k" * 48


def test_access_token_round_trip():
    token, claims = issue(
        SECRET, token_type=ACCESS, subject="u1", lifetime=timedelta(minutes=5), claims={"tid": "t1"}
    )
    assert verify(SECRET, token, token_type=ACCESS)["tid"] == "t1"


def test_expired_token_is_refused():
    past = datetime.now(UTC) - timedelta(hours=1)
    token, _ = issue(
        SECRET, token_type=ACCESS, subject="u1", lifetime=timedelta(minutes=5), now=past
    )
    with pytest.raises(Unauthenticated, match="expired"):
        verify(SECRET, token, token_type=ACCESS)


def test_refresh_token_is_not_an_access_token():
    token, _ = issue(SECRET, token_type=REFRESH, subject="u1", lifetime=timedelta(days=1))
    with pytest.raises(Unauthenticated):
        verify(SECRET, token, token_type=ACCESS)


def test_token_signed_elsewhere_is_refused():
    token, _ = issue("z" * 48, token_type=ACCESS, subject="u1", lifetime=timedelta(minutes=5))
    with pytest.raises(Unauthenticated):
        verify(SECRET, token, token_type=ACCESS)
