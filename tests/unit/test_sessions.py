"""The gateway's session check on its own (cache, 401 for an ended session, 403 for a suspended
CBO's writes, 503 when identity is silent), with identity replaced by a fake. Identity's own
session rules are in test_identity_rules.py."""

from __future__ import annotations

import json
from datetime import timedelta

import eventlet
import pytest
from eventlet.event import Event
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from chassis.context import Caller
from chassis.contracts.sessions import SESSION_CLAIM
from chassis.errors import Forbidden, ServiceUnavailable, Unauthenticated
from chassis.tokens import ACCESS, issue
from gateway.http import Api
from gateway.service import caller_from_request
from gateway.sessions import GENERATION_KEY, SessionCheck
from tests.waiting import wait_for

SECRET = "s" * 48
STANDS = {"valid": True, "message": None, "cbo_status": "approved"}


class FakeIdentity:
    """identity.session_status, answering what the test says; counts the calls."""

    def __init__(self, answer: dict | None = None, error: Exception | None = None) -> None:
        self.answer = answer or STANDS
        self.error = error
        self.calls: list[tuple[str, str, dict]] = []

    def call(self, service, method, **kwargs):
        self.calls.append((service, method, kwargs))
        if self.error is not None:
            raise self.error
        if method == "session_status":
            return self.answer
        if method == "session_statuses":
            return [{**s, **self.answer} for s in kwargs["sessions"]]
        return {"ok": True}


class Clock:
    """A clock the test moves; it counts the checks that read it (one per request)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def signed_in_request(method: str = "GET", path: str = "/api/v1/me", generation: int = 0):
    environ = EnvironBuilder(
        method=method,
        path=path,
        data=json.dumps({}) if method != "GET" else None,
        content_type="application/json",
    ).get_environ()
    environ[GENERATION_KEY] = generation
    return Request(environ)


STAFF = Caller(kind="staff", user_id="u1", tenant_id="t1", correlation_id="corr-1234")


# -- the gateway's check ----------------------------------------------------------------------


def test_an_answer_is_cached_per_account_and_generation_for_the_ttl():
    clock, identity = Clock(), FakeIdentity()
    check = SessionCheck(ttl=2.0, clock=clock)
    for _ in range(5):
        check(signed_in_request(), STAFF, identity)
    assert identity.calls == [("identity", "session_status", {"generation": 0})]
    check(signed_in_request(generation=1), STAFF, identity)  # a newer token: asked again
    assert len(identity.calls) == 2
    clock.now += 2.5
    check(signed_in_request(), STAFF, identity)
    assert len(identity.calls) == 3


def test_requests_that_miss_the_cache_together_share_one_call():
    release = Event()

    class SlowIdentity(FakeIdentity):
        def call(self, service, method, **kwargs):
            self.calls.append((service, method, kwargs))
            release.wait()
            if self.error is not None:
                raise self.error
            return self.answer

    for error in (None, ServiceUnavailable("The identity service did not answer.")):
        clock, identity = Clock(), SlowIdentity(error=error)
        check = SessionCheck(ttl=2.0, clock=clock)
        checks = [eventlet.spawn(check, signed_in_request(), STAFF, identity) for _ in range(5)]

        # Every request has read the clock (so is asking identity or waiting for the one that
        # is) before identity answers.
        def arrived(clock=clock, identity=identity) -> bool:
            return clock.reads == 5 and bool(identity.calls)

        wait_for(arrived, what="every request to arrive")
        release.send()
        outcomes = []
        for waiting in checks:
            try:
                outcomes.append(waiting.wait())
            except ServiceUnavailable:
                outcomes.append("503")
        assert len(identity.calls) == 1
        assert outcomes == ([None] * 5 if error is None else ["503"] * 5)
        release.reset()


def test_the_answers_in_use_are_renewed_in_one_call_before_they_expire():
    clock, identity = Clock(), FakeIdentity()
    check = SessionCheck(ttl=2.0, clock=clock)
    people = [Caller(kind="staff", user_id=f"u{i}", tenant_id="t1") for i in range(3)]
    for caller in people:
        check(signed_in_request(), caller, identity)
    assert len(identity.calls) == 3
    # Every half ttl the gateway's timer renews what is in use: person 0 sends a request
    # every second, person 1 one every 5 s, for two minutes; person 2 is gone.
    for tick in range(1, 121):
        clock.now += 1.0
        check(signed_in_request(), people[0], identity)
        if tick % 5 == 0:
            check(signed_in_request(), people[1], identity)
        check.refresh(identity)
    renewals = [c for c in identity.calls if c[1] == "session_statuses"]
    assert len(identity.calls) == 3 + len(renewals)  # no request asked on its own again
    assert {s["account_id"] for s in renewals[-1][2]["sessions"]} == {"u0", "u1"}
    assert {s["account_id"] for s in renewals[0][2]["sessions"]} == {"u0", "u1", "u2"}
    clock.now += 2.5
    check(signed_in_request(), people[2], identity)  # not renewed for long: asked again
    assert identity.calls[-1][1] == "session_status"


def test_a_renewal_that_says_the_session_ended_refuses_the_next_request():
    clock, identity = Clock(), FakeIdentity()
    check = SessionCheck(ttl=2.0, clock=clock)
    check(signed_in_request(), STAFF, identity)
    identity.answer = {
        "valid": False,
        "message": "Your account was deactivated.",
        "cbo_status": None,
    }
    clock.now += 1.0
    assert check.refresh(identity) == 1
    with pytest.raises(Unauthenticated, match="deactivated"):
        check(signed_in_request(), STAFF, identity)


def test_a_failed_renewal_leaves_the_answers_to_expire_on_time():
    clock, identity = Clock(), FakeIdentity()
    check = SessionCheck(ttl=2.0, clock=clock)
    check(signed_in_request(), STAFF, identity)
    clock.now += 1.0
    identity.error = ServiceUnavailable("The identity service did not answer.")
    assert check.refresh(identity) == 0
    check(signed_in_request(), STAFF, identity)  # still within the first answer's ttl
    clock.now += 1.5  # 2.5 s after identity's answer: too old, asked again, and identity is away
    with pytest.raises(ServiceUnavailable):
        check(signed_in_request(), STAFF, identity)


def test_an_answer_renewed_is_aged_from_when_it_was_asked_for():
    clock = Clock()

    class SlowIdentity(FakeIdentity):
        def call(self, service, method, **kwargs):
            clock.now += 1.5  # identity takes 1.5 s to answer
            return super().call(service, method, **kwargs)

    identity = SlowIdentity()
    check = SessionCheck(ttl=2.0, clock=clock)
    check(signed_in_request(), STAFF, identity)  # asked at 1000.0, answered at 1001.5
    clock.now += 0.1
    check.refresh(identity)  # asked at 1001.6, answered at 1003.1
    clock.now = 1003.5  # 1.9 s after the renewal was asked for: still good
    check(signed_in_request(), STAFF, identity)
    calls = len(identity.calls)
    clock.now = 1003.7  # 2.1 s after: too old
    check(signed_in_request(), STAFF, identity)
    assert len(identity.calls) == calls + 1


def test_an_ended_session_is_refused_with_identitys_reason():
    identity = FakeIdentity({"valid": False, "message": "Your roles changed.", "cbo_status": None})
    with pytest.raises(Unauthenticated, match="Your roles changed."):
        SessionCheck(ttl=2.0)(signed_in_request(), STAFF, identity)


@pytest.mark.parametrize("status", ["suspended", "unknown"])
def test_a_cbo_that_is_not_approved_may_read_but_not_write(status):
    identity = FakeIdentity({"valid": True, "message": None, "cbo_status": status})
    check = SessionCheck(ttl=2.0)
    for method in ("GET", "HEAD", "OPTIONS"):
        check(signed_in_request(method), STAFF, identity)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(Forbidden, match=f"Your CBO is {status}"):
            check(signed_in_request(method), STAFF, identity)


def test_the_operator_and_an_approved_cbo_may_write():
    check = SessionCheck(ttl=2.0)
    check(signed_in_request("POST"), STAFF, FakeIdentity())
    operator = Caller(kind="operator", user_id="op", correlation_id="corr-1234")
    check(signed_in_request("POST"), operator, FakeIdentity({**STANDS, "cbo_status": None}))


def test_a_request_without_a_token_is_not_checked():
    identity = FakeIdentity()
    request = Request(EnvironBuilder(method="POST", path="/api/v1/auth/token").get_environ())
    SessionCheck(ttl=2.0)(request, Caller(correlation_id="corr-1234"), identity)
    assert identity.calls == []


def test_when_identity_does_not_answer_the_request_fails_closed():
    identity = FakeIdentity(error=ServiceUnavailable("The identity service is not running."))
    with pytest.raises(ServiceUnavailable, match="cannot be checked"):
        SessionCheck(ttl=2.0)(signed_in_request(), STAFF, identity)


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    identity = FakeIdentity()
    check = SessionCheck(ttl=60.0, size=3)
    callers = [Caller(kind="staff", user_id=f"u{i}", tenant_id="t1") for i in range(4)]
    for caller in callers[:3]:
        check(signed_in_request(), caller, identity)
    check(signed_in_request(), callers[0], identity)  # used again: now the most recent
    check(signed_in_request(), callers[3], identity)  # pushes out u1
    assert len(check._answers) == 3 and len(identity.calls) == 4
    check(signed_in_request(), callers[0], identity)
    assert len(identity.calls) == 4
    check(signed_in_request(), callers[1], identity)
    assert len(identity.calls) == 5


def test_the_api_checks_the_session_before_dispatching():
    identity = FakeIdentity({"valid": True, "message": None, "cbo_status": "suspended"})
    api = Api(session_check=SessionCheck(ttl=2.0))
    refused = api.handle(signed_in_request("POST", "/api/v1/staff"), STAFF, identity)
    assert refused.status_code == 403
    assert "suspended" in json.loads(refused.get_data())["error"]["message"]
    assert [c[1] for c in identity.calls] == ["session_status"]  # register_staff never called
    assert api.handle(signed_in_request("GET", "/api/v1/me"), STAFF, identity).status_code == 200


def test_the_entrypoint_hands_the_tokens_generation_to_the_check():
    def request_with(claims: dict) -> Request:
        token, _ = issue(
            SECRET,
            token_type=ACCESS,
            subject="u1",
            lifetime=timedelta(minutes=5),
            claims={"tid": "t1", "kind": "staff", "roles": [], "perms": [], **claims},
        )
        headers = [("Authorization", f"Bearer {token}")]
        return Request(EnvironBuilder(headers=headers).get_environ())

    request = request_with({SESSION_CLAIM: 3})
    caller_from_request(request, SECRET, "corr-1")
    assert request.environ[GENERATION_KEY] == 3
    older = request_with({})  # issued before generations existed
    caller_from_request(older, SECRET, "corr-1")
    assert older.environ[GENERATION_KEY] == 0
    for bad in (-1, "2", 1.5, True):
        with pytest.raises(Unauthenticated):
            caller_from_request(request_with({SESSION_CLAIM: bad}), SECRET, "corr-1")


# -- verified tokens --------------------------------------------------------------------------


def test_a_token_is_verified_once_and_its_expiry_checked_every_time(monkeypatch):
    import gateway.service as service

    verified: list[str] = []
    real_verify = service.verify

    def counting_verify(secret, token, *, token_type):
        verified.append(token)
        return real_verify(secret, token, token_type=token_type)

    monkeypatch.setattr(service, "verify", counting_verify)
    token, claims = issue(
        SECRET, token_type=ACCESS, subject="u1", lifetime=timedelta(minutes=5), claims={}
    )
    now = [float(claims["exp"] - 60)]
    tokens = service.VerifiedTokens(size=2, clock=lambda: now[0])
    for _ in range(3):
        assert tokens.claims(SECRET, token)["sub"] == "u1"
    assert verified == [token]
    # A forged token is refused every time, never remembered.
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.claims(SECRET, forged)
    assert len(verified) == 3
    # From its `exp` on, the remembered token is refused as an expired one.
    now[0] = float(claims["exp"])
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.claims(SECRET, token)


def test_verified_tokens_are_a_bounded_lru():
    from gateway.service import VerifiedTokens

    tokens = VerifiedTokens(size=2)
    issued = [
        issue(SECRET, token_type=ACCESS, subject=f"u{i}", lifetime=timedelta(minutes=5))[0]
        for i in range(3)
    ]
    for token in issued:
        tokens.claims(SECRET, token)
    assert list(tokens._claims) == issued[1:]
    tokens.claims(SECRET, issued[1])  # used again: the newest
    assert list(tokens._claims) == [issued[2], issued[1]]
