"""The notifications service's domain on its real database: events become notices, notices are
dispatched once into inbox items and queued messages in each person's language, messages are
sent, retried and failed, the provider's reports and STOP are kept, channel secrets are sealed,
and each inbox is its owner's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import eventlet.event
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.contracts.identity_rpc import Contact
from chassis.contracts.tenancy_rpc import MessageProfile
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from chassis.mail import Email, MailFailed
from services.notifications.catalogue import domain as catalogue
from services.notifications.channels import domain as channels
from services.notifications.channels.models import ChannelSettings
from services.notifications.channels.rules import provider_signature
from services.notifications.channels.sealing import Sealer
from services.notifications.channels.sms import SmsAccount, SmsFailed
from services.notifications.inbox import domain as inbox
from services.notifications.inbox.models import InboxItem
from services.notifications.messages import domain as messages
from services.notifications.messages import rules
from services.notifications.messages.models import Message
from services.notifications.notices import domain as notices
from services.notifications.notices.models import Notice
from services.notifications.optouts import domain as optouts
from tests.domain.outbox import Outbox
from tests.factories import staff_caller

SERVICE = "notifications"

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=2)
SEALER = Sealer("x" * 48)
PUBLIC_URL = "https://worklb.example.org"


class Directory:
    """Identity and tenancy as the dispatcher sees them."""

    def __init__(self, tenant_id: str, people: list[Contact], staff: list[Contact] = ()):
        self.tenant_id = tenant_id
        self.people = {p.account_id: p for p in people}
        self.staff_list = list(staff)
        self.down = False
        self.asked: list[str] = []

    def contacts(self, *, tenant_id: str, account_ids: list[str]) -> list[Contact]:
        if self.down:
            raise ServiceUnavailable("identity is down")
        self.asked.extend(account_ids)
        return [
            self.people[a] for a in account_ids if a in self.people and tenant_id == self.tenant_id
        ]

    def staff(self, *, tenant_id: str, permission: str) -> list[Contact]:
        assert permission == "bookings.manage"
        return self.staff_list

    def profile(self, *, tenant_id: str) -> MessageProfile:
        return MessageProfile(
            tenant_id=tenant_id,
            display_name="Harbor Works",
            timezone="America/Los_Angeles",
            default_language="en",
            languages=["en", "es", "km"],
            terminology={"km": {"shift": "វេនធ្វើការ"}, "es": {"shift": "jornada"}},
        )


class Senders:
    def __init__(self) -> None:
        self.emails: list[Email] = []
        self.sms: list[tuple[SmsAccount, str, str, str]] = []
        self.fail_email = 0
        self.fail_sms = 0

    def send_email(self, email: Email) -> str:
        if self.fail_email:
            self.fail_email -= 1
            raise MailFailed("smtp down")
        self.emails.append(email)
        return f"<{uuid.uuid4().hex}@worklb>"

    def send_sms(self, account: SmsAccount, to: str, body: str, callback: str) -> str:
        if self.fail_sms:
            self.fail_sms -= 1
            raise SmsFailed("provider down")
        self.sms.append((account, to, body, callback))
        return "SM" + uuid.uuid4().hex

    def bundle(self) -> messages.Senders:
        return messages.Senders(
            email=self.send_email,
            sms=self.send_sms,
            sealer=SEALER,
            sms_base_url="https://sms.example.org/2010-04-01",
            public_url=PUBLIC_URL,
        )


def person(language: str | None, phone: str | None = "(562) 555-0101", **more) -> Contact:
    return Contact(
        account_id=str(uuid.uuid4()),
        kind="jobseeker",
        name=more.pop("name", "Sokha"),
        email=more.pop("email", f"{uuid.uuid4().hex[:8]}@example.org"),
        phone=phone,
        preferred_language=language,
        active=more.pop("active", True),
    )


def tenant() -> str:
    return str(uuid.uuid4())


def with_sms(uow, tenant_id: str) -> None:
    channels.update_settings(
        uow,
        caller=staff_caller(tenant_id),
        tenant_id=tenant_id,
        data={
            "sms": {
                "account_sid": "AC123456789",
                "auth_token": "token-12345",
                "from_number": "+15625550000",
                "base_url": None,
            }
        },
        sealer=SEALER,
    )


def offer_sent(uow, tenant_id: str, worker: Contact, *, event_id: str | None = None) -> None:
    notices.add_notice(
        uow,
        tenant_id=tenant_id,
        kind="offer_sent",
        source_key=f"{event_id or uuid.uuid4()}:offer_sent:{worker.account_id}",
        due_at=NOW,
        account_ids=[worker.account_id],
        data={
            "offer_id": "o1",
            "shift_id": "s1",
            "starts_at": STARTS,
            "ends_at": STARTS + timedelta(hours=4),
            "deadline_at": NOW + timedelta(hours=6),
        },
    )


def logged(uow, tenant_id: str, **where) -> list[Message]:
    query = select(Message).where(Message.tenant_id == tenant_id)
    for name, value in where.items():
        query = query.where(getattr(Message, name) == value)
    return list(uow.session.execute(query.order_by(Message.created_at)).scalars())


# -- dispatching -------------------------------------------------------------------------------


def test_an_offer_reaches_a_khmer_worker_in_khmer_once(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    sokha = person("km")
    directory = Directory(cbo, [sokha])
    event_id = str(uuid.uuid4())
    offer_sent(uow, cbo, sokha, event_id=event_id)
    offer_sent(uow, cbo, sokha, event_id=event_id)  # the event again: nothing more

    assert notices.dispatch_due(uow, directory=directory, now=NOW) == 1
    assert notices.dispatch_due(uow, directory=directory, now=NOW) == 0

    (item,) = inbox.list_items(
        uow, tenant_id=cbo, account_id=sokha.account_id, unread=None, page=1, per_page=10
    )["items"]
    assert item.language == "km" and "វេនធ្វើការ" in item.body
    assert item.data == {"offer_id": "o1", "shift_id": "s1"}
    found = {m.channel: m for m in logged(uow, cbo)}
    assert set(found) == {"email", "sms"}
    assert found["sms"].recipient == "+15625550101" and found["sms"].status == "queued"
    assert "STOP" in found["sms"].body and found["email"].recipient == sokha.email


def test_people_get_their_language_and_the_inactive_nothing(uow):
    cbo = tenant()
    lucia, nobody_lang, gone = person("es"), person(None, phone=None), person("km", active=False)
    directory = Directory(cbo, [lucia, nobody_lang, gone])
    for worker in (lucia, nobody_lang, gone):
        offer_sent(uow, cbo, worker)
    notices.dispatch_due(uow, directory=directory, now=NOW)

    languages = {m.account_id: m.language for m in logged(uow, cbo)}
    assert languages == {lucia.account_id: "es", nobody_lang.account_id: "en"}
    # Without an SMS account, email only.
    assert {m.channel for m in logged(uow, cbo)} == {"email"}
    assert "Jornada" in logged(uow, cbo, account_id=lucia.account_id)[0].body


def test_an_opted_out_number_gets_its_sms_skipped_and_logged(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    worker = person("en", phone="562-555-0199")
    assert optouts.record_inbound(
        uow, tenant_id=cbo, from_number="+15625550199", body="STOP", now=NOW
    )
    offer_sent(uow, cbo, worker)
    notices.dispatch_due(uow, directory=Directory(cbo, [worker]), now=NOW)
    (sms,) = logged(uow, cbo, channel="sms")
    assert sms.status == "skipped" and "STOP" in sms.last_error

    # START: SMS again; another CBO's STOP is not this CBO's.
    assert (
        optouts.record_inbound(
            uow, tenant_id=cbo, from_number="+15625550199", body="start", now=NOW
        )
        is False
    )
    assert not optouts.is_opted_out(uow, tenant_id=cbo, phone="+15625550199")
    optouts.record_inbound(
        uow, tenant_id=tenant(), from_number="+15625550199", body="STOP", now=NOW
    )
    assert not optouts.is_opted_out(uow, tenant_id=cbo, phone="+15625550199")
    assert optouts.record_inbound(uow, tenant_id=cbo, from_number="x", body="STOP", now=NOW) is None
    assert (
        optouts.record_inbound(uow, tenant_id=cbo, from_number="+15625550199", body="hi", now=NOW)
        is None
    )


def test_a_dispatch_that_cannot_reach_identity_waits_and_retries(uow):
    cbo = tenant()
    worker = person("en")
    directory = Directory(cbo, [worker])
    directory.down = True
    offer_sent(uow, cbo, worker)
    uow.commit()  # as the event handler did
    assert notices.dispatch_due(uow, directory=directory, now=NOW) == 1
    notice = uow.session.execute(select(Notice).where(Notice.tenant_id == cbo)).scalar_one()
    assert notice.status == "pending" and notice.attempts == 1 and notice.due_at > NOW
    assert "identity is down" in notice.last_error
    assert logged(uow, cbo) == []
    directory.down = False
    assert notices.dispatch_due(uow, directory=directory, now=notice.due_at) == 1
    assert len(logged(uow, cbo)) == 1


def test_staff_are_alerted_when_rebooking_gives_up(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    boss = Contact(
        account_id=str(uuid.uuid4()),
        kind="staff",
        name="Sam",
        email="sam@example.org",
        phone=None,
        preferred_language=None,
        active=True,
    )
    notices.add_notice(
        uow,
        tenant_id=cbo,
        kind="rebooking_exhausted",
        source_key=f"{uuid.uuid4()}:rebooking_exhausted",
        due_at=NOW,
        permission="bookings.manage",
        data={"shift_id": "s9", "starts_at": STARTS, "reason": "attempts_used", "attempts": 3},
    )
    notices.dispatch_due(uow, directory=Directory(cbo, [], staff=[boss]), now=NOW)
    (email,) = logged(uow, cbo)
    assert email.channel == "email" and email.recipient == "sam@example.org"
    assert "every attempt was used (3 offers made)" in email.body
    assert inbox.unread_count(uow, tenant_id=cbo, account_id=boss.account_id) == 1


# -- reminders ---------------------------------------------------------------------------------


def confirmed(uow, cbo: str, worker: Contact, *, starts_at=STARTS, now=NOW) -> str:
    assignment_id = str(uuid.uuid4())
    notices.place_confirmed(
        uow,
        tenant_id=cbo,
        event_id=str(uuid.uuid4()),
        worker_id=worker.account_id,
        assignment_id=assignment_id,
        data={"shift_id": "s1", "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=4)},
        starts_at=starts_at,
        now=now,
    )
    return assignment_id


def reminders(uow, assignment_id: str) -> dict[int, Notice]:
    found = uow.session.execute(
        select(Notice).where(Notice.assignment_id == assignment_id, Notice.kind == "shift_reminder")
    ).scalars()
    return {n.data["minutes_before"]: n for n in found}


def test_reminders_come_at_their_times_once(uow):
    cbo = tenant()
    worker = person("km")
    directory = Directory(cbo, [worker])
    assignment_id = confirmed(uow, cbo, worker)
    due = reminders(uow, assignment_id)
    assert {m: n.due_at for m, n in due.items()} == {
        1440: STARTS - timedelta(hours=24),
        120: STARTS - timedelta(hours=2),
    }
    notices.dispatch_due(uow, directory=directory, now=NOW)  # the confirmation only
    assert [m.kind for m in logged(uow, cbo)] == ["offer_confirmed"]

    day_before = STARTS - timedelta(hours=24)
    assert notices.dispatch_due(uow, directory=directory, now=day_before) == 1
    assert notices.dispatch_due(uow, directory=directory, now=day_before + timedelta(hours=1)) == 0
    (reminder,) = logged(uow, cbo, kind="shift_reminder")
    assert reminder.language == "km" and "ការរំលឹក" in reminder.subject
    assert reminders(uow, assignment_id)[120].status == "pending"


def test_a_cbo_sets_its_own_reminder_times_and_a_late_confirmation_gets_those_ahead(uow):
    cbo = tenant()
    channels.update_settings(
        uow,
        caller=staff_caller(cbo),
        tenant_id=cbo,
        data={"reminder_minutes": [60, 720]},
        sealer=SEALER,
    )
    worker = person("en")
    assignment_id = confirmed(uow, cbo, worker, now=STARTS - timedelta(hours=3))
    assert list(reminders(uow, assignment_id)) == [60]
    with pytest.raises(ValidationFailed):
        channels.update_settings(
            uow,
            caller=staff_caller(cbo),
            tenant_id=cbo,
            data={"reminder_minutes": [5]},
            sealer=SEALER,
        )


def test_a_cancelled_place_cancels_its_reminders_and_tells_the_worker(uow):
    cbo = tenant()
    worker = person("es")
    directory = Directory(cbo, [worker])
    assignment_id = confirmed(uow, cbo, worker)
    assert (
        notices.place_cancelled(
            uow,
            tenant_id=cbo,
            event_id=str(uuid.uuid4()),
            worker_id=worker.account_id,
            assignment_id=assignment_id,
            shift_id="s1",
            reason="Lluvia",
            tell=True,
            now=NOW,
        )
        == 2
    )
    assert {n.status for n in reminders(uow, assignment_id).values()} == {"cancelled"}
    notices.dispatch_due(uow, directory=directory, now=STARTS)
    kinds = sorted(m.kind for m in logged(uow, cbo))
    assert kinds == ["offer_confirmed", "shift_cancelled"]
    (cancelled,) = logged(uow, cbo, kind="shift_cancelled")
    assert "mié 2 dic, 08:00" in cancelled.body and "Motivo: Lluvia" in cancelled.body

    # The worker's own cancellation: reminders end, nobody is told.
    other = confirmed(uow, cbo, worker)
    notices.place_cancelled(
        uow,
        tenant_id=cbo,
        event_id=str(uuid.uuid4()),
        worker_id=worker.account_id,
        assignment_id=other,
        shift_id="s2",
        reason="sick",
        tell=False,
        now=NOW,
    )
    assert not uow.session.execute(
        select(Notice).where(Notice.assignment_id == other, Notice.kind == "shift_cancelled")
    ).first()


# -- sending -----------------------------------------------------------------------------------


def queued(uow, cbo: str, worker: Contact) -> None:
    offer_sent(uow, cbo, worker)
    notices.dispatch_due(uow, directory=Directory(cbo, [worker]), now=NOW)


def test_sending_records_each_message_and_its_event(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    channels.update_settings(
        uow,
        caller=staff_caller(cbo),
        tenant_id=cbo,
        data={"email": {"from_name": "Harbor Works", "reply_to": "jobs@harbor.example.org"}},
        sealer=SEALER,
    )
    worker = person("km", name="<b>Sokha</b>")
    queued(uow, cbo, worker)
    senders = Senders()
    sent = Outbox(uow)
    assert messages.deliver_due(uow, now=NOW, senders=senders.bundle()) == 2
    assert messages.deliver_due(uow, now=NOW, senders=senders.bundle()) == 0

    (email,) = senders.emails
    assert email.from_name == "Harbor Works" and email.reply_to == "jobs@harbor.example.org"
    assert "&lt;b&gt;Sokha&lt;/b&gt;" in email.html
    ((account, to, body, callback),) = senders.sms
    assert account.auth_token == "token-12345" and account.from_number == "+15625550000"
    assert account.base_url == "https://sms.example.org/2010-04-01"
    assert to == "+15625550101" and "វេនធ្វើការ" in body
    assert callback == f"{PUBLIC_URL}/api/v1/public/sms/{cbo}/status"
    assert {m.status for m in logged(uow, cbo)} == {"sent"}
    events = sent.events("notification.sent")
    assert sorted(e["data"]["channel"] for e in events) == ["email", "sms"]
    assert all(e["data"]["account_id"] == worker.account_id for e in events)


def test_a_failing_provider_is_retried_with_backoff_then_the_message_fails(uow):
    cbo = tenant()
    worker = person("en")
    queued(uow, cbo, worker)
    senders = Senders()
    senders.fail_email = 1
    messages.deliver_due(uow, now=NOW, senders=senders.bundle())
    (email,) = logged(uow, cbo)
    assert email.status == "queued" and email.attempts == 1 and "smtp down" in email.last_error
    assert email.next_attempt_at == NOW + timedelta(seconds=1)
    assert messages.deliver_due(uow, now=NOW, senders=senders.bundle()) == 0  # not yet due
    messages.deliver_due(uow, now=email.next_attempt_at, senders=senders.bundle())
    assert logged(uow, cbo)[0].status == "sent" and len(senders.emails) == 1

    other = tenant()
    queued(uow, other, person("en"))
    senders.fail_email = rules.MAX_ATTEMPTS
    failed = Outbox(uow)
    at = NOW
    for _ in range(rules.MAX_ATTEMPTS):
        messages.deliver_due(uow, now=at, senders=senders.bundle())
        at += timedelta(hours=1)
    (dead,) = logged(uow, other)
    assert dead.status == "failed" and dead.attempts == rules.MAX_ATTEMPTS
    assert failed.one("notification.failed")["data"]["error"] == "smtp down"


def test_a_stop_after_queueing_still_stops_the_sms(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    worker = person("en")
    queued(uow, cbo, worker)
    optouts.record_inbound(uow, tenant_id=cbo, from_number="+15625550101", body="QUIT", now=NOW)
    senders = Senders()
    messages.deliver_due(uow, now=NOW, senders=senders.bundle())
    assert senders.sms == [] and len(senders.emails) == 1
    (sms,) = logged(uow, cbo, channel="sms")
    assert sms.status == "skipped"


def test_the_providers_reports_move_an_sms_on(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    queued(uow, cbo, person("en"))
    senders = Senders()
    messages.deliver_due(uow, now=NOW, senders=senders.bundle())
    (sms,) = logged(uow, cbo, channel="sms")
    delivered = messages.record_status(
        uow,
        tenant_id=cbo,
        provider_id=sms.provider_id,
        reported="delivered",
        error_code=None,
        now=NOW,
    )
    assert (
        delivered is not None and delivered.status == "delivered" and delivered.delivered_at == NOW
    )
    # Another CBO's report about this sid finds nothing.
    assert (
        messages.record_status(
            uow,
            tenant_id=tenant(),
            provider_id=sms.provider_id,
            reported="failed",
            error_code="1",
            now=NOW,
        )
        is None
    )
    late = messages.record_status(
        uow,
        tenant_id=cbo,
        provider_id=sms.provider_id,
        reported="failed",
        error_code="30003",
        now=NOW,
    )
    assert late is not None and late.status == "delivered"


# -- channels: the provider's signature, sealed secrets ----------------------------------------


def test_the_auth_token_is_sealed_and_never_shown(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    row = uow.session.get(ChannelSettings, cbo)
    assert b"token-12345" not in bytes(row.sms_auth_token_sealed)
    shown = channels.view(row, public_url=PUBLIC_URL)
    assert "token-12345" not in repr(shown) and shown["sms"]["auth_token_set"]
    # Changing the number keeps the token; removing SMS removes it.
    channels.update_settings(
        uow,
        caller=staff_caller(cbo),
        tenant_id=cbo,
        data={
            "sms": {"account_sid": "AC999999999", "from_number": "+15625550001", "base_url": None}
        },
        sealer=SEALER,
    )
    assert channels.auth_token_of(uow, tenant_id=cbo, sealer=SEALER) == "token-12345"
    sent = Outbox(uow)
    channels.update_settings(
        uow, caller=staff_caller(cbo), tenant_id=cbo, data={"sms": None}, sealer=SEALER
    )
    assert channels.auth_token_of(uow, tenant_id=cbo, sealer=SEALER) is None
    (entry,) = sent.audit()
    assert "token" not in repr(entry).replace("sms_auth_token_set", "")


def test_a_new_sms_account_needs_its_auth_token(uow):
    with pytest.raises(ValidationFailed):
        channels.update_settings(
            uow,
            caller=staff_caller(cbo := tenant()),
            tenant_id=cbo,
            data={"sms": {"account_sid": "AC123456789", "from_number": "+15625550000"}},
            sealer=SEALER,
        )


def test_only_the_providers_signature_passes(uow):
    cbo = tenant()
    with_sms(uow, cbo)
    url = channels.callback_urls(PUBLIC_URL, cbo)["inbound_url"]
    params = {"From": ["+15625550101"], "Body": ["STOP"]}
    good = provider_signature("token-12345", url, params)
    channels.check_provider_request(
        uow, tenant_id=cbo, url=url, params=params, signature=good, sealer=SEALER
    )
    # One character changed (the last but one was "A" in one signature in sixteen, so
    # writing "A" there left it as it was).
    changed = good[:5] + ("B" if good[5] != "B" else "C") + good[6:]
    for tenant_id, signature in (
        (cbo, changed),
        (cbo, ""),
        (tenant(), good),
        ("x" * 80, good),
    ):
        with pytest.raises(Forbidden):
            channels.check_provider_request(
                uow, tenant_id=tenant_id, url=url, params=params, signature=signature, sealer=SEALER
            )


# -- the inbox ---------------------------------------------------------------------------------


def test_an_inbox_is_its_owners_newest_first(uow):
    cbo = tenant()
    sokha, lucia = person("km"), person("es")
    directory = Directory(cbo, [sokha, lucia])
    for _ in range(3):
        offer_sent(uow, cbo, sokha)
    offer_sent(uow, cbo, lucia)
    notices.dispatch_due(uow, directory=directory, now=NOW)
    mine = inbox.list_items(
        uow, tenant_id=cbo, account_id=sokha.account_id, unread=None, page=1, per_page=2
    )
    assert mine["total"] == 3 and len(mine["items"]) == 2
    first = mine["items"][0]
    with pytest.raises(NotFound):
        inbox.mark_read(uow, tenant_id=cbo, account_id=lucia.account_id, item_id=first.id, now=NOW)
    with pytest.raises(NotFound):
        inbox.mark_read(
            uow, tenant_id=tenant(), account_id=sokha.account_id, item_id=first.id, now=NOW
        )
    inbox.mark_read(uow, tenant_id=cbo, account_id=sokha.account_id, item_id=first.id, now=NOW)
    assert inbox.unread_count(uow, tenant_id=cbo, account_id=sokha.account_id) == 2
    unread = inbox.list_items(
        uow, tenant_id=cbo, account_id=sokha.account_id, unread=True, page=1, per_page=10
    )
    assert first.id not in {i.id for i in unread["items"]}
    assert inbox.mark_all_read(uow, tenant_id=cbo, account_id=sokha.account_id, now=NOW) == 2
    assert inbox.unread_count(uow, tenant_id=cbo, account_id=sokha.account_id) == 0
    assert inbox.unread_count(uow, tenant_id=cbo, account_id=lucia.account_id) == 1


# -- two instances at once -----------------------------------------------------------------------


class MeetingDirectory(Directory):
    """Holds the first dispatcher to ask until the second is asking too (each holding the
    notice it claimed), so the two are surely inside a dispatch at once; later calls pass."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.callers = 0
        self.both_inside = eventlet.event.Event()

    def contacts(self, *, tenant_id: str, account_ids: list[str]) -> list[Contact]:
        self.callers += 1
        if self.callers == 2:
            self.both_inside.send(True)
        elif self.callers == 1:
            with eventlet.Timeout(10, TimeoutError("the second dispatcher never asked")):
                self.both_inside.wait()
        return super().contacts(tenant_id=tenant_id, account_ids=account_ids)


def test_two_instances_dispatch_and_send_each_reminder_once(domain_engine):
    """Two dispatchers and two senders on their own connections (as two processes would be),
    over 30 reminders due at once: each is dispatched once and each message sent once."""
    engine = domain_engine(SERVICE)
    cbo = tenant()
    workers = [person("km") for _ in range(30)]
    directory = MeetingDirectory(cbo, workers)

    def unit() -> UnitOfWork:
        return UnitOfWork(Session(engine, expire_on_commit=False), source=SERVICE)

    setup = unit()
    try:
        for worker in workers:
            confirmed(
                setup, cbo, worker, starts_at=NOW + timedelta(hours=1), now=NOW - timedelta(days=2)
            )
        setup.commit()
        due = NOW + timedelta(minutes=5)  # every 24 h and 2 h reminder, and the confirmations

        def dispatcher() -> int:
            uow = unit()
            try:
                return notices.dispatch_due(uow, directory=directory, now=due, limit=1000)
            finally:
                uow.close()

        runs = [eventlet.spawn(dispatcher) for _ in range(2)]
        assert sum(run.wait() for run in runs) == 30 * 3
        senders = Senders()

        def sender() -> int:
            uow = unit()
            try:
                return messages.deliver_due(uow, now=due, senders=senders.bundle(), limit=1000)
            finally:
                uow.close()

        runs = [eventlet.spawn(sender) for _ in range(2)]
        assert sum(run.wait() for run in runs) == 30 * 3
        assert len(senders.emails) == 30 * 3
        check = unit()
        sent = logged(check, cbo)
        assert {(m.status, m.attempts) for m in sent} == {("sent", 1)}
        kinds = [m.kind for m in sent]
        assert kinds.count("shift_reminder") == 60 and kinds.count("offer_confirmed") == 30
        check.close()
    finally:
        cleanup = unit()
        for table in (Message, Notice, InboxItem):
            cleanup.session.execute(delete(table).where(table.tenant_id == cbo))
        cleanup.commit()
        cleanup.close()


# -- what and where ----------------------------------------------------------------------------


def test_messages_say_what_and_where_once_booking_has_said(uow):
    cbo = tenant()
    booking_id, site_id, job_type_id = (str(uuid.uuid4()) for _ in range(3))
    catalogue.learn_booking(
        uow, tenant_id=cbo, booking_id=booking_id, site_id=site_id, job_type_id=job_type_id
    )
    assert catalogue.work_of(uow, booking_id=booking_id) == (None, None)
    catalogue.learn_site(uow, tenant_id=cbo, site_id=site_id, name="Pier Cafe", event_at=NOW)
    catalogue.learn_site(
        uow, tenant_id=cbo, site_id=site_id, name="Old name", event_at=NOW - timedelta(hours=1)
    )
    catalogue.learn_job_type(
        uow, tenant_id=cbo, job_type_id=job_type_id, name="Dish washing", event_at=NOW
    )
    assert catalogue.work_of(uow, booking_id=booking_id) == ("Dish washing", "Pier Cafe")
    assert catalogue.work_of(uow, booking_id=None) == (None, None)

    worker = person("en")
    notices.add_notice(
        uow,
        tenant_id=cbo,
        kind="offer_sent",
        source_key=f"{uuid.uuid4()}:offer_sent",
        due_at=NOW,
        account_ids=[worker.account_id],
        data={"booking_id": booking_id, "starts_at": STARTS, "deadline_at": NOW},
    )
    notices.dispatch_due(uow, directory=Directory(cbo, [worker]), now=NOW)
    (email,) = logged(uow, cbo)
    assert "What: Dish washing\nWhere: Pier Cafe\n" in email.body
