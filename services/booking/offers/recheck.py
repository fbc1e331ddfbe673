"""The re-check at the moment of an offer.

Booking decides who may work from its own read model of workers (the workers area), which
follows identity's events a moment late: a job seeker suspended in identity a moment ago may
still look eligible there. So before an offer is sent, and again before one is confirmed, the
offers area asks identity which of its candidates may work now, through `EligibleNow`: a plain
callable, so that domain code holds no RPC (tests pass a stand-in).

`identity_recheck` builds the real one from identity's `eligible_jobseekers`. When identity
cannot be reached, the call raises ServiceUnavailable (503): an offer is then refused, never
sent unchecked.
"""

from __future__ import annotations

from collections.abc import Callable

from chassis.context import Caller
from chassis.contracts.identity_rpc import ELIGIBLE_JOBSEEKERS_MAX, IdentityClient
from chassis.contracts.rpc import CallsServices
from services.booking.jobtypes.models import JobType
from services.booking.offers import rules

# (job type, the workers' CBO, candidate worker ids) -> those of them who may work now.
EligibleNow = Callable[[JobType, str, list[str]], set[str]]


def identity_recheck(services: CallsServices, caller: Caller) -> EligibleNow:
    """Identity's answer for `caller` (whose context the call carries), remembered for the
    rest of the request, so a booking of twenty shifts asks once. Workers of a CBO identity
    will not answer this caller about (rules.cbo_to_ask) are left to the read model."""
    identity = IdentityClient(services)
    known: dict[tuple[str, bool, str, str], bool] = {}

    def eligible_now(job_type: JobType, worker_tenant_id: str, worker_ids: list[str]) -> set[str]:
        tenant_id = rules.cbo_to_ask(
            caller_tenant_id=caller.tenant_id,
            caller_is_system=caller.is_system,
            worker_tenant_id=worker_tenant_id,
        )
        if tenant_id is None:
            # A partner CBO's workers, for this CBO's caller: identity answers only about the
            # caller's own CBO, so booking's read model (the partner's events) decides alone.
            return set(worker_ids)
        asked = (job_type.key, bool(job_type.needs_approval), tenant_id)
        unknown = [w for w in worker_ids if (*asked, w) not in known]
        for batch in rules.batches(unknown, ELIGIBLE_JOBSEEKERS_MAX):
            allowed = set(
                identity.eligible_jobseekers(
                    job_type=job_type.key,
                    jobseeker_ids=batch,
                    tenant_id=tenant_id,
                    needs_job_type_approval=bool(job_type.needs_approval),
                )
            )
            known.update({(*asked, w): w in allowed for w in batch})
        return {w for w in worker_ids if known[(*asked, w)]}

    return eligible_now
