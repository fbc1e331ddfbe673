"""Webhooks' pure rules: the signature, the retry schedule, URLs and addresses, recipients."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.webhooks import rules

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"opportunity.shared"}'
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# -- the signature -------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert rules.signature(SECRET, 1700000000, BODY) == expected
    assert rules.signature_header(SECRET, 1700000000, BODY) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(
    ("header", "secret", "body", "now", "ok"),
    [
        (None, SECRET, BODY, 1700000000, True),  # the header as signed
        (None, SECRET, BODY, 1700000000 + 300, True),  # at the edge of the tolerance
        (None, SECRET, BODY, 1700000000 + 301, False),  # too old: a replayed request
        (None, SECRET, BODY, 1700000000 - 301, False),  # from the future
        (None, "whsec_other", BODY, 1700000000, False),  # another secret
        (None, SECRET, BODY + b" ", 1700000000, False),  # the body changed
        ("t=1700000000", SECRET, BODY, 1700000000, False),  # no signature
        ("v1=abc", SECRET, BODY, 1700000000, False),  # no time
        ("t=abc,v1=abc", SECRET, BODY, 1700000000, False),  # a time that is no number
        ("garbage", SECRET, BODY, 1700000000, False),
        ("", SECRET, BODY, 1700000000, False),
        ("t=1700000000,v1=" + "0" * 64, SECRET, BODY, 1700000000, False),
    ],
)
def test_verify(header, secret, body, now, ok):
    header = header if header is not None else rules.signature_header(SECRET, 1700000000, BODY)
    assert rules.verify(header, secret, body, now=now) is ok


def test_verify_accepts_any_of_several_signatures():
    good = rules.signature(SECRET, 1700000000, BODY)
    header = f"t=1700000000,v1={'0' * 64},v1={good}"
    assert rules.verify(header, SECRET, BODY, now=1700000000)


# -- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (20, 3600), (10_000, 3600)],
)
def test_backoff_doubles_up_to_the_cap(attempt, delay):
    assert rules.retry_delay(attempt, base=30, cap=3600) == delay


def test_attempts_count_from_one():
    with pytest.raises(ValueError):
        rules.retry_delay(0, base=30, cap=3600)


@pytest.mark.parametrize(
    ("status_code", "attempt", "status", "retry_in"),
    [
        (200, 1, rules.DELIVERED, None),
        (204, 5, rules.DELIVERED, None),
        (299, 1, rules.DELIVERED, None),
        (300, 1, rules.PENDING, 30),  # a redirect is not followed: retried
        (404, 1, rules.PENDING, 30),
        (500, 2, rules.PENDING, 60),
        (None, 3, rules.PENDING, 120),  # no answer (a timeout, a refused address)
        (500, 8, rules.FAILED, None),  # the last attempt
        (None, 9, rules.FAILED, None),
    ],
)
def test_after_an_attempt(status_code, attempt, status, retry_in):
    outcome = rules.after_attempt(
        attempt=attempt, status_code=status_code, now=NOW, max_attempts=8, base=30, cap=3600
    )
    assert outcome.status == status
    expected = None if retry_in is None else NOW + timedelta(seconds=retry_in)
    assert outcome.next_attempt_at == expected


# -- where a delivery may go ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/worklb",
        "http://hooks.example.com:8080/in?cbo=1",
        "HTTPS://Hooks.Example.com/",
        "http://127.0.0.1:9000/hook",
        "https://[2001:db8::1]/hook",
    ],
)
def test_good_urls(url):
    assert rules.url_problems(url) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("gopher://127.0.0.1:25/", "Only http and https"),
        ("https://user:pass@hooks.example.com/", "No user name or password"),
        ("https://user@hooks.example.com/", "No user name or password"),
        ("https://:pass@hooks.example.com/", "No user name or password"),
        ("https:///path-only", "Name a host"),
        ("hooks.example.com/x", "Only http and https"),
        ("https://hooks.example.com/x#frag", "No fragment"),
        ("https://hooks.example.com/\x00", "No spaces or control characters"),
        ("https://hooks.example.com/a b", "No spaces or control characters"),
        ("https://hooks.example.com:99999/", "Not a valid URL"),
        ("https://[::1/", "Not a valid URL"),
        ("https://hooks.example.com/" + "a" * 2000, "At most 2000 characters"),
        ("", "Only http and https"),
    ],
)
def test_bad_urls(url, problem):
    problems = rules.url_problems(url)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("address", "allow_loopback", "allowed"),
    [
        ("93.184.216.34", False, True),
        ("2606:2800:220:1:248:1893:25c8:1946", False, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("127.8.9.10", True, True),
        ("::1", False, False),
        ("::1", True, True),
        ("::ffff:127.0.0.1", False, False),  # loopback in IPv6 clothes
        ("::ffff:10.0.0.1", True, False),
        ("10.0.0.5", True, False),  # private: never, even when loopback is allowed
        ("172.16.0.1", True, False),
        ("192.168.1.1", True, False),
        ("169.254.169.254", True, False),  # link-local (cloud metadata)
        ("100.64.0.1", True, False),  # shared address space
        ("0.0.0.0", True, False),
        ("224.0.0.1", True, False),  # multicast
        ("fe80::1%eth0", True, False),
        ("fc00::1", True, False),
        ("not-an-ip", True, False),
    ],
)
def test_addresses(address, allow_loopback, allowed):
    problem = rules.address_problem(address, allow_loopback=allow_loopback)
    assert (problem is None) is allowed, problem


def test_every_address_of_a_host_must_be_allowed():
    assert rules.addresses_problem(["93.184.216.34"], allow_loopback=False) is None
    assert rules.addresses_problem(["93.184.216.34", "10.0.0.1"], allow_loopback=False)
    assert rules.addresses_problem([], allow_loopback=True) == "The host has no address."


# -- recipients ----------------------------------------------------------------------------------


def test_recipients_are_the_owner_and_the_partner_while_partnered():
    data = {"owner_tenant_id": "owner", "partner_tenant_id": "partner"}
    assert rules.recipients(data, partnership_ended=False) == ["owner", "partner"]
    assert rules.recipients(data, partnership_ended=True) == ["owner"]


def test_a_withdrawal_because_the_partnership_ended_reaches_the_owner_only():
    data = {"owner_tenant_id": "o", "partner_tenant_id": "p", "reason": "partnership ended"}
    assert rules.recipients(data, partnership_ended=False, event_type="opportunity.withdrawn") == [
        "o"
    ]
    other = {**data, "reason": "withdrawn by the owning CBO"}
    assert rules.recipients(other, partnership_ended=False, event_type="opportunity.withdrawn") == [
        "o",
        "p",
    ]
