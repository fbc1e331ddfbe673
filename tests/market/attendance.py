"""Rows of the attendance and reliability areas for tests: a worker's place on a shift (an
assignment, as a confirmed offer leaves it) and the scene around it. Rows only: the offers
area's domain makes real assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chassis.context import Caller
from chassis.db import UnitOfWork
from services.booking.bookings.models import Shift
from services.booking.offers.models import BOOKED, Assignment
from services.booking.workers.models import ClientRecord, WorkerRecord
from tests.market.builders import (
    a_cbo_record,
    a_client_record,
    a_job_type,
    a_shift,
    a_site,
    a_worker_record,
)


def an_assignment(
    uow: UnitOfWork,
    *,
    shift: Shift,
    worker: WorkerRecord,
    status: str = BOOKED,
) -> Assignment:
    row = Assignment(
        tenant_id=shift.tenant_id,
        shift_id=shift.id,
        worker_id=worker.id,
        worker_tenant_id=worker.tenant_id,
        client_id=shift.client_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=status,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


@dataclass
class Scene:
    """A CBO with a client, a site, a job type and a worker."""

    uow: UnitOfWork
    tenant_id: str
    client: ClientRecord
    worker: WorkerRecord

    def shift(self, *, starts_at: datetime, positions: int = 1, client: ClientRecord | None = None):
        client = client or self.client
        job_type = a_job_type(self.uow, tenant_id=self.tenant_id)
        site = a_site(self.uow, tenant_id=self.tenant_id, client_id=client.id)
        return a_shift(
            self.uow, job_type=job_type, site=site, starts_at=starts_at, positions=positions
        )

    def assignment(
        self,
        *,
        starts_at: datetime | None = None,
        worker: WorkerRecord | None = None,
        client: ClientRecord | None = None,
        status: str = BOOKED,
    ) -> Assignment:
        """One worker's place on a new one-position shift (by default started 5 hours ago)."""
        starts_at = starts_at or datetime.now(UTC) - timedelta(hours=5)
        shift = self.shift(starts_at=starts_at, client=client)
        return an_assignment(self.uow, shift=shift, worker=worker or self.worker, status=status)

    def another_client(self) -> ClientRecord:
        return a_client_record(self.uow, tenant_id=self.tenant_id)

    def another_worker(self) -> WorkerRecord:
        return a_worker_record(self.uow, tenant_id=self.tenant_id)


def a_scene(uow: UnitOfWork) -> Scene:
    cbo = a_cbo_record(uow)
    client = a_client_record(uow, tenant_id=cbo.tenant_id)
    worker = a_worker_record(uow, tenant_id=cbo.tenant_id, name="Sokha Chan")
    return Scene(uow, cbo.tenant_id, client, worker)


def a_client_user(tenant_id: str, client_id: str, *, permissions=("self.book", "bookings.read")):
    """A client user of `client_id` (their organisation's bookings only)."""
    return Caller(
        kind="client",
        user_id=f"client-user-{client_id[:8]}",
        tenant_id=tenant_id,
        roles=("client",),
        permissions=frozenset(permissions),
        client_id=client_id,
    )


def a_worker_caller(worker: WorkerRecord) -> Caller:
    """The job seeker `worker` signed in."""
    return Caller(
        kind="jobseeker",
        user_id=worker.id,
        tenant_id=worker.tenant_id,
        roles=("jobseeker",),
        permissions=frozenset({"self.profile", "self.work"}),
    )
