"""Notifications over HTTP, on the whole running platform: offers, confirmations and reminders
reach workers in their own language (Khmer, Spanish) with the CBO's words, by email (the
real SMTP server on loopback, tests/smtp.py), SMS (the fake provider on loopback,
tests/sms_provider.py) and the in-app inbox; the provider's status callback is taken only when
its signature is right; a number that sent STOP gets no SMS; each person sees only their own
inbox and each CBO only its own delivery log.

A reminder is due hours before a shift; no route makes time pass, so `due_now` moves one
reminder's due time to now in the notifications database (as market.into_the_past does for
booking), and the test then sees it sent exactly once.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from services.notifications.notices.models import Notice
from tests.e2e.market import (
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    book,
    confirm,
    days_ahead,
)
from tests.e2e.tokens import staff_token
from tests.smtp import body_of
from tests.waiting import wait_for

AUTH_TOKEN = "provider-auth-token-42"
ACCOUNT_SID = "AC0123456789abcdef"
FROM_NUMBER = "+15625550000"


def a_phone() -> tuple[str, str]:
    """A Long Beach number as a person types it, and as E.164."""
    line = random.randint(1000, 9999)
    return f"(562) 555-{line}", f"+1562555{line}"


def due_now(platform, assignment_id: str, minutes_before: int) -> None:
    engine = make_engine(platform.settings.database_url("notifications"), poolclass=NullPool)
    with Session(engine) as session, session.begin():
        session.execute(
            update(Notice)
            .where(
                Notice.assignment_id == assignment_id,
                Notice.kind == "shift_reminder",
                Notice.data["minutes_before"].as_integer() == minutes_before,
            )
            .values(due_at=datetime.now(UTC))
        )
    engine.dispose()


def next_email(smtp, address: str, seen: int):
    """The first email to `address` after the `seen` it already had."""
    return smtp.wait_for(address, count=seen + 1)


def delivery_log(api, token: str, **query) -> list[dict]:
    page = api("GET", "/api/v1/notifications/messages", token, params={"per_page": 200, **query})
    assert page.status_code == 200, page.text
    return page.json()["items"]


@pytest.fixture(scope="module")
def market(api, operator_token, platform, smtp):
    """A CBO with its own words in three languages, an SMS account, a client with a site, a
    job type, and two approved workers: one reads Khmer, one Spanish."""
    cbo = a_cbo(api, operator_token, platform, "notify")
    words = {
        "display_name": "Harbor Works",
        "terminology": {
            "en": {"shift": "gig"},
            "es": {"shift": "jornada"},
            "km": {"shift": "វេនធ្វើការ"},
        },
    }
    changed = api("PATCH", "/api/v1/cbo/branding", cbo["owner"], json=words)
    assert changed.status_code == 200, changed.text
    settings = api(
        "PATCH",
        "/api/v1/notification-settings",
        cbo["owner"],
        json={
            "sms": {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_number": FROM_NUMBER,
            },
            "email": {"from_name": "Harbor Works", "reply_to": "jobs@harbor.example.org"},
        },
    )
    assert settings.status_code == 200, settings.text
    cbo["settings"] = settings.json()
    client = a_client(api, platform, cbo, "Pier Cafe")
    cbo["client"], cbo["site"] = client["id"], client["site"]
    cbo["job_type"] = a_job_type(api, cbo["owner"], "Dish washing")["id"]
    for language, name in (("km", "Sokha Chan"), ("es", "Lucia Ramos")):
        typed, e164 = a_phone()
        worker = an_approved_worker(api, smtp, platform, cbo, name, language=language, phone=typed)
        worker["phone"] = e164
        cbo[language] = worker
    return cbo


def offer_to(api, market: dict, worker: dict, days: int) -> str:
    made = book(
        api,
        market["owner"],
        client_id=market["client"],
        site_id=market["site"],
        job_type_id=market["job_type"],
        on=days_ahead(days),
        named=worker["id"],
    )
    return made["shifts"][0]["id"]


def test_the_settings_never_show_the_auth_token(api, market, platform):
    answer = api("GET", "/api/v1/notification-settings", market["owner"])
    assert answer.status_code == 200
    sms = answer.json()["sms"]
    assert sms["configured"] and sms["auth_token_set"]
    assert sms["account_sid"] == ACCOUNT_SID and sms["from_number"] == FROM_NUMBER
    assert AUTH_TOKEN not in answer.text
    assert sms["status_callback_url"].endswith(f"/api/v1/public/sms/{market['id']}/status")
    # Only the owner's permission reads them.
    scheduler = staff_token(platform, market["id"], ["scheduler"])
    assert api("GET", "/api/v1/notification-settings", scheduler).status_code == 403


def test_a_khmer_worker_gets_the_offer_and_the_reminder_in_khmer(
    api, market, smtp, sms_provider, platform
):
    worker = market["km"]
    seen = len(smtp.to(worker["email"]))  # the registration's
    shift_id = offer_to(api, market, worker, days=3)

    email = next_email(smtp, worker["email"], seen)
    text = body_of(email)
    assert "សូមបញ្ជាក់" in text and "វេនធ្វើការ" in text and "Harbor Works" in text
    assert "ការងារ: Dish washing" in text and "ទីកន្លែង: Pier Cafe kitchen" in text
    assert email["Reply-To"] == "jobs@harbor.example.org"
    assert "Harbor Works" in str(email["From"])
    sms = sms_provider.wait_for(worker["phone"])
    assert "វេនធ្វើការ" in sms.body and "STOP" in sms.body
    assert sms.sender == FROM_NUMBER and sms.auth == (ACCOUNT_SID, AUTH_TOKEN)
    inbox = api("GET", "/api/v1/me/inbox", worker["token"]).json()["items"]
    assert inbox[0]["kind"] == "offer_sent" and inbox[0]["language"] == "km"
    assert inbox[0]["data"]["shift_id"] == shift_id

    confirmed = confirm(api, worker, shift_id)
    assert "អ្នកបានបញ្ជាក់" in body_of(next_email(smtp, worker["email"], seen + 1))
    reminders = api(
        "GET",
        "/api/v1/notifications/notices",
        market["owner"],
        params={"kind": "shift_reminder", "assignment_id": confirmed["assignment_id"]},
    ).json()["items"]
    assert sorted(r["data"]["minutes_before"] for r in reminders) == [120, 1440]
    assert {r["status"] for r in reminders} == {"pending"}

    due_now(platform, confirmed["assignment_id"], 120)
    reminder = next_email(smtp, worker["email"], seen + 2)
    assert "ការរំលឹកពី Harbor Works" in body_of(reminder)
    assert "ការរំលឹក" in sms_provider.wait_for(worker["phone"], count=3).body
    # Sent once: a few more sweeps later there is still one reminder, and the 24 h one waits.
    wait_for(
        lambda: (
            len(delivery_log(api, market["owner"], kind="shift_reminder", account_id=worker["id"]))
            == 2
        ),
        what="the reminder's email and SMS in the log",
    )
    notices = api(
        "GET",
        "/api/v1/notifications/notices",
        market["owner"],
        params={"kind": "shift_reminder", "assignment_id": confirmed["assignment_id"]},
    ).json()["items"]
    assert {n["data"]["minutes_before"]: n["status"] for n in notices} == {
        120: "done",
        1440: "pending",
    }
    assert len(smtp.to(worker["email"])) == seen + 3


def test_a_spanish_worker_gets_the_offer_in_spanish_and_stop_ends_their_sms(
    api, market, smtp, sms_provider
):
    worker = market["es"]
    seen = len(smtp.to(worker["email"]))
    offer_to(api, market, worker, days=4)
    text = body_of(next_email(smtp, worker["email"], seen))
    assert "Confirme o rechace" in text and "Jornada" in text
    sms = sms_provider.wait_for(worker["phone"])
    assert "jornada" in sms.body and "Responda STOP" in sms.body

    # The provider's status callback: accepted only with the right signature.
    assert sms_provider.report(sms, "delivered", "not-the-token").status_code == 403
    forged = sms_provider.signed_post(
        sms.status_callback,
        {"MessageSid": sms.sid, "MessageStatus": "failed"},
        AUTH_TOKEN,
        signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    )
    assert forged.status_code == 403
    assert sms_provider.report(sms, "delivered", AUTH_TOKEN).status_code == 204
    (logged,) = [
        m
        for m in delivery_log(api, market["owner"], channel="sms", account_id=worker["id"])
        if m["provider_id"] == sms.sid
    ]
    assert logged["status"] == "delivered" and logged["recipient"] == worker["phone"]

    # STOP from the worker's phone: no more SMS to it; the email still goes.
    inbound_url = market["settings"]["sms"]["inbound_url"]
    unsigned = sms_provider.inbound(
        inbound_url,
        sender=worker["phone"],
        to=FROM_NUMBER,
        body="STOP",
        auth_token="wrong",
        account_sid=ACCOUNT_SID,
    )
    assert unsigned.status_code == 403
    stopped = sms_provider.inbound(
        inbound_url,
        sender=worker["phone"],
        to=FROM_NUMBER,
        body=" Stop ",
        auth_token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
    )
    assert stopped.status_code == 204, stopped.text
    optouts = api("GET", "/api/v1/notifications/sms-optouts", market["owner"]).json()["items"]
    assert worker["phone"] in {o["phone"] for o in optouts}

    offer_to(api, market, worker, days=5)
    next_email(smtp, worker["email"], seen + 1)
    skipped = wait_for(
        lambda: [
            m
            for m in delivery_log(api, market["owner"], channel="sms", account_id=worker["id"])
            if m["status"] == "skipped"
        ],
        what="the skipped SMS in the delivery log",
    )
    assert "STOP" in skipped[0]["last_error"]
    assert len(sms_provider.to(worker["phone"])) == 1


def test_the_inbox_is_its_owners_alone(api, market, operator_token, platform):
    khmer, spanish = market["km"], market["es"]
    wait_for(
        lambda: api("GET", "/api/v1/me/inbox/unread-count", khmer["token"]).json()["unread"] >= 2,
        what="the Khmer worker's unread messages",
    )
    page = api("GET", "/api/v1/me/inbox", khmer["token"], params={"per_page": 200}).json()
    items = page["items"]
    assert [i["created_at"] for i in items] == sorted(
        (i["created_at"] for i in items), reverse=True
    )
    first = items[0]

    # Another person's item does not exist for them, nor for staff.
    for token in (spanish["token"], market["owner"]):
        assert api("POST", f"/api/v1/me/inbox/{first['id']}/read", token).status_code == 404
    assert first["id"] not in {
        i["id"] for i in api("GET", "/api/v1/me/inbox", spanish["token"]).json()["items"]
    }

    before = api("GET", "/api/v1/me/inbox/unread-count", khmer["token"]).json()["unread"]
    read = api("POST", f"/api/v1/me/inbox/{first['id']}/read", khmer["token"])
    assert read.status_code == 200 and read.json()["read_at"] is not None
    after = api("GET", "/api/v1/me/inbox/unread-count", khmer["token"]).json()["unread"]
    assert after == before - 1
    unread_only = api("GET", "/api/v1/me/inbox", khmer["token"], params={"unread": "true"})
    assert first["id"] not in {i["id"] for i in unread_only.json()["items"]}
    marked = api("POST", "/api/v1/me/inbox/read", khmer["token"]).json()["marked"]
    assert marked == after
    assert api("GET", "/api/v1/me/inbox/unread-count", khmer["token"]).json()["unread"] == 0
    assert api("GET", "/api/v1/me/inbox", None).status_code == 401

    # Another CBO sees none of this CBO's delivery log, nor a message of it by id.
    other = a_cbo(api, operator_token, platform, "other")
    assert delivery_log(api, other["owner"]) == []
    mine = delivery_log(api, market["owner"])
    assert mine
    assert (
        api("GET", f"/api/v1/notifications/messages/{mine[0]['id']}", other["owner"]).status_code
        == 404
    )
    # A worker may not read the log.
    assert api("GET", "/api/v1/notifications/messages", khmer["token"]).status_code == 403
