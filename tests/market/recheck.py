"""Stand-ins for identity's re-check at the moment of an offer: the test doubles of the offers
area's port (services/booking/offers/recheck.py `EligibleNow`), which domain functions take
where the entrypoints pass identity's RPC."""

from __future__ import annotations

from sqlalchemy import update

from chassis.db import UnitOfWork
from chassis.errors import ServiceUnavailable
from services.booking.jobtypes.models import JobType
from services.booking.workers.models import WorkerDay, WorkerRecord
from tests.market.builders import a_worker_record
from tests.market.offers import Market
from tests.market.search import a_rating, a_score


def everyone(job_type: JobType, tenant_id: str, worker_ids: list[str]) -> set[str]:
    """Identity clears every worker asked about (its record agrees with booking's)."""
    return set(worker_ids)


class Identity:
    """Identity clearing everyone but the workers it `refuses`, remembering each question
    as (job type key, CBO, worker ids)."""

    def __init__(self, *refused: str) -> None:
        self.refused = set(refused)
        self.asked: list[tuple[str, str, list[str]]] = []

    def __call__(self, job_type: JobType, tenant_id: str, worker_ids: list[str]) -> set[str]:
        self.asked.append((job_type.key, tenant_id, list(worker_ids)))
        return {w for w in worker_ids if w not in self.refused}

    def asked_about(self) -> set[str]:
        return {w for _, _, ids in self.asked for w in ids}


def unreachable(job_type: JobType, tenant_id: str, worker_ids: list[str]) -> set[str]:
    """Identity cannot be reached (what identity_recheck raises then)."""
    raise ServiceUnavailable("The identity service did not answer within 5 s.")


def a_worker_known_as(
    uow: UnitOfWork,
    market: Market,
    worker_id: str,
    *,
    favourite: bool = False,
    score: float | None = None,
) -> WorkerRecord:
    """`a_worker` with the id identity gave a job seeker, for tests that run identity too."""
    worker = a_worker_record(uow, tenant_id=market.tenant_id)
    uow.session.execute(
        update(WorkerDay).where(WorkerDay.worker_id == worker.id).values(worker_id=worker_id)
    )
    worker.id = worker_id
    uow.session.flush()
    if favourite:
        a_rating(
            uow,
            tenant_id=market.tenant_id,
            client_id=market.client.id,
            worker_id=worker_id,
            rating="favourite",
        )
    if score is not None:
        a_score(uow, tenant_id=market.tenant_id, worker_id=worker_id, score=score)
    return worker
