"""What a test's units of work wrote to a service's outbox, from a point the test marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from chassis.db import UnitOfWork
from chassis.tables import outbox


class Outbox:
    """`sent = Outbox(uow)` marks the point; `sent.events(...)` are the envelopes recorded
    after it (in `uow`'s transaction, committed or not), oldest first. Builders' events made
    before the mark are left out, so a test sees only those of the action it tests."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.after = uow.session.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar()

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        query = select(outbox.c.envelope).where(outbox.c.id > self.after).order_by(outbox.c.id)
        if event_type is not None:
            query = query.where(outbox.c.event_type == event_type)
        return list(self.uow.session.execute(query).scalars())

    def types(self) -> list[str]:
        """The event types recorded, in order."""
        return [envelope["event_type"] for envelope in self.events()]

    def one(self, event_type: str) -> dict[str, Any]:
        """The one event of `event_type` recorded (fails if there are none or several)."""
        found = self.events(event_type)
        assert len(found) == 1, f"{len(found)} {event_type} events, expected one: {self.types()}"
        return found[0]

    def audit(self) -> list[dict[str, Any]]:
        """The audit entries recorded (the data of each audit.recorded), in order."""
        return [envelope["data"] for envelope in self.events("audit.recorded")]
