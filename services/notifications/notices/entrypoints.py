"""What booking's and rebooking's events tell people (handlers that write notices), and the
timer that dispatches due notices, asking identity who people are and tenancy what the CBO
calls things."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.context import Caller, requires
from chassis.contracts.events import Event
from chassis.contracts.identity_rpc import Contact, IdentityClient
from chassis.contracts.tenancy_rpc import MessageProfile, TenancyClient
from chassis.db import UnitOfWork
from chassis.entrypoints import EVENT_BATCH, EventBatch, event_handler, rpc, timer
from chassis.rpc import ServiceCaller
from services.notifications.common import staff_tenant
from services.notifications.notices import domain, rules
from services.notifications.notices.schemas import NoticePageSchema, NoticeQuerySchema


def _now() -> datetime:
    return datetime.now(UTC)


class RpcDirectory:
    """The notices' Directory over identity's and tenancy's RPCs (the timer's system caller
    has no tenant, so it names the CBO each time)."""

    def __init__(self, services: ServiceCaller) -> None:
        self.identity = IdentityClient(services)
        self.tenancy = TenancyClient(services)

    def contacts(self, *, tenant_id: str, account_ids: list[str]) -> list[Contact]:
        return self.identity.contacts(account_ids=account_ids, tenant_id=tenant_id)

    def staff(self, *, tenant_id: str, permission: str) -> list[Contact]:
        return self.identity.staff_to_alert(permission=permission, tenant_id=tenant_id)

    def profile(self, *, tenant_id: str) -> MessageProfile:
        return self.tenancy.message_profile(tenant_id=tenant_id)


def _worker_tenant(event: Event) -> str:
    return event.data.get("worker_tenant_id") or event.tenant_id or ""


_OFFER_FIELDS = ("offer_id", "shift_id", "booking_id", "starts_at", "ends_at")


class NoticesEntrypoints:
    db: UnitOfWork
    caller: Caller
    services: ServiceCaller

    @rpc
    @requires("bookings.read")
    def list_notices(self, query: dict) -> dict:
        tenant_id = staff_tenant(self.caller)
        wanted = NoticeQuerySchema().load(query)
        found = domain.list_notices(
            self.db,
            tenant_id=tenant_id,
            status=wanted["status"],
            kind=wanted["kind"],
            assignment_id=wanted["assignment_id"],
            page=wanted["page"],
            per_page=wanted["per_page"],
        )
        return NoticePageSchema().dump(found)

    @timer("notifications_sweep_seconds")
    def dispatch_notices(self) -> None:
        """Turns each due notice (new ones, reminders whose time came) into inbox items and
        queued emails and SMS, once: claimed FOR UPDATE SKIP LOCKED and marked done with them."""
        domain.dispatch_due(self.db, directory=RpcDirectory(self.services), now=_now())

    def _tell_worker(self, event: Event, kind: str, **more) -> None:
        data = event.data
        domain.add_notice(
            self.db,
            tenant_id=_worker_tenant(event),
            kind=kind,
            source_key=f"{event.event_id}:{kind}:{data['worker_id']}",
            due_at=_now(),
            account_ids=[data["worker_id"]],
            data={**{k: data.get(k) for k in _OFFER_FIELDS}, **more},
        )

    @event_handler("booking", "offer.sent", batch=EVENT_BATCH)
    def notify_offer_sent(self, events: EventBatch) -> None:
        """Tells the worker of the offer: the shift's times in the CBO's time zone and the
        deadline to confirm (inbox, email, SMS). In batches: offers come in bursts (a
        cascade's step for every deadline that passed together), and each is one insert."""
        for event in events:
            self._tell_worker(event, "offer_sent", deadline_at=event.data["deadline_at"])

    @event_handler("booking", "offer.confirmed")
    def notify_offer_confirmed(self, event: Event) -> None:
        """Tells the worker their place is confirmed and schedules their reminders before the
        shift (24 h and 2 h unless the CBO set other times)."""
        data = event.data
        domain.place_confirmed(
            self.db,
            tenant_id=_worker_tenant(event),
            event_id=event.event_id,
            worker_id=data["worker_id"],
            assignment_id=data["assignment_id"],
            data={
                **{k: data.get(k) for k in _OFFER_FIELDS},
                "assignment_id": data["assignment_id"],
            },
            starts_at=data["starts_at"],
            now=_now(),
        )

    @event_handler("booking", "offer.withdrawn", batch=EVENT_BATCH)
    def notify_offer_withdrawn(self, events: EventBatch) -> None:
        """Tells the worker an offer was taken back, and why."""
        for event in events:
            self._tell_worker(event, "offer_withdrawn", reason=event.data["reason"])

    @event_handler("booking", "assignment.cancelled")
    def notify_assignment_cancelled(self, event: Event) -> None:
        """Cancels the worker's reminders for that place and tells them (unless they cancelled
        it themselves)."""
        data = event.data
        domain.place_cancelled(
            self.db,
            tenant_id=_worker_tenant(event),
            event_id=event.event_id,
            worker_id=data["worker_id"],
            assignment_id=data["assignment_id"],
            shift_id=data["shift_id"],
            reason=data["reason"],
            tell=rules.tells_worker_of_cancellation(data["cancelled_by_kind"]),
            now=_now(),
        )

    @event_handler("booking", "booking.cancelled")
    def notify_booking_cancelled(self, event: Event) -> None:
        """Cancels the reminders of every place the cancelled shifts had and tells each
        worker."""
        data = event.data
        for place in data["assignments"]:
            domain.place_cancelled(
                self.db,
                tenant_id=place.get("worker_tenant_id") or event.tenant_id or "",
                event_id=event.event_id,
                worker_id=place["worker_id"],
                assignment_id=place["assignment_id"],
                shift_id=place["shift_id"],
                reason=data["reason"],
                tell=rules.tells_worker_of_cancellation(data["cancelled_by_kind"]),
                now=_now(),
            )

    @event_handler("rebooking", "rebooking.exhausted")
    def alert_rebooking_exhausted(self, event: Event) -> None:
        """Alerts the CBO's staff who manage bookings (inbox and email) that no replacement
        was found for a shift."""
        data = event.data
        domain.add_notice(
            self.db,
            tenant_id=event.tenant_id or "",
            kind="rebooking_exhausted",
            source_key=f"{event.event_id}:rebooking_exhausted",
            due_at=_now(),
            permission=rules.ALERT_PERMISSION,
            data={
                "cascade_id": data["cascade_id"],
                "shift_id": data["shift_id"],
                "booking_id": data["booking_id"],
                "starts_at": data["starts_at"],
                "reason": data["reason"],
                "attempts": data["attempts"],
            },
        )
