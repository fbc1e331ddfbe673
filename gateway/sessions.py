"""The gateway's session check: the one place that refuses a token whose session has ended
(401) and every write of a CBO that is not approved (403).

A signed access token stays valid for its whole lifetime, so on each request that carries one
the gateway asks identity (`session_status`, chassis.contracts.sessions) whether the account
still stands behind it. Answers are cached per (account, session generation) for a few
seconds (`WORKLB_SESSION_CHECK_SECONDS`, 2) in a bounded LRU, and requests that miss the cache
together share one call. The answers of the sessions used in the last 30 s are renewed
every half of that time (`refresh`, the gateway's timer) in one call for up to 500 of them
(`identity.session_statuses`), so a session in use costs no call on its requests' path: many
people each sending a request every few seconds cost identity one call a second, not one
per person. No answer is used longer than that time after identity gave it (an answer's age
runs from the moment it was asked for), so a change reaches every gateway instance within it,
and nothing here needs to be shared between instances. If identity does not answer, the
request fails closed (503): a renewal that fails leaves the answers to expire.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from eventlet.event import Event
from werkzeug.wrappers import Request

from chassis.context import Caller
from chassis.contracts.identity_rpc import MAX_SESSIONS, IdentityClient
from chassis.contracts.sessions import APPROVED, SessionStatusSchema
from chassis.errors import Forbidden, ServiceUnavailable, Unauthenticated
from chassis.rpc import ServiceCaller

# Where the entrypoint leaves the session generation of the request's verified token.
GENERATION_KEY = "worklb.session_generation"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_SIZE = 20_000
# A session used within this many seconds is in use: its answer is renewed before it expires,
# so a phone sending a punch every few seconds never waits for the check.
KEEP_RENEWING = 30.0

log = logging.getLogger(__name__)


class SessionCheck:
    """Called by gateway.http.Api for every request, before it is dispatched."""

    def __init__(
        self,
        *,
        ttl: float,
        size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        # (account id, generation) → (expires at, identity's answer), oldest use first.
        self._answers: OrderedDict[tuple[str, int], tuple[float, dict]] = OrderedDict()
        # Calls to identity under way: a request that finds one waits for its answer.
        self._asking: dict[tuple[str, int], Event] = {}
        # The sessions in use: when each was last used (a renewal renews those used lately).
        self._used: dict[tuple[str, int], float] = {}

    def __call__(self, request: Request, caller: Caller, services: ServiceCaller) -> None:
        generation = request.environ.get(GENERATION_KEY)
        if generation is None or not caller.authenticated or caller.user_id is None:
            return  # no token: nothing to check (routes needing one refuse the request)
        status = self.status(caller, generation, services)
        if not status["valid"]:
            raise Unauthenticated(status["message"] or "Your session has ended; sign in again.")
        cbo_status = status["cbo_status"]
        if request.method not in READ_METHODS and cbo_status not in (None, APPROVED):
            raise Forbidden(
                f"Your CBO is {cbo_status}: its people can read but not change anything "
                "until the platform reinstates it."
            )

    def status(self, caller: Caller, generation: int, services: ServiceCaller) -> dict:
        """identity's answer for this session, from the cache while it is fresh."""
        key = (str(caller.user_id), generation)
        now = self.clock()
        cached = self._answers.get(key)
        if cached is not None and cached[0] > now:
            self._answers.move_to_end(key)
            self._used[key] = now
            return cached[1]
        asking = self._asking.get(key)
        if asking is not None:
            return asking.wait()
        asking = self._asking[key] = Event()
        try:
            status = self._ask(generation, services)
        except Exception as exc:
            asking.send_exception(exc)
            raise
        else:
            asking.send(status)
        finally:
            del self._asking[key]
        self._keep(key, now, status)
        self._used[key] = now
        return status

    def _keep(self, key: tuple[str, int], asked_at: float, status: dict) -> None:
        self._answers[key] = (asked_at + self.ttl, status)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)

    def refresh(self, services: ServiceCaller) -> int:
        """Renew the answers of the sessions used within the last KEEP_RENEWING seconds (the
        gateway's timer, every half `ttl`, as the gateway's system caller); returns how many
        were renewed. A session not used for longer is left to expire. If identity does not
        answer, nothing is renewed and the answers expire as they would have."""
        now = self.clock()
        self._used = {
            key: used
            for key, used in self._used.items()
            if used > now - KEEP_RENEWING and key in self._answers
        }
        keys = [key for key in self._used if key not in self._asking]
        renewed = 0
        for start in range(0, len(keys), MAX_SESSIONS):
            batch = keys[start : start + MAX_SESSIONS]
            asked_at = self.clock()
            try:
                answers = IdentityClient(services).session_statuses(
                    sessions=[{"account_id": a, "generation": g} for a, g in batch]
                )
            except Exception as exc:  # identity away: the answers held expire in time
                log.warning(
                    "could not renew the session answers",
                    extra={"fields": {"sessions": len(batch), "error": type(exc).__name__}},
                )
                return renewed
            for answer in answers:
                key = (answer.pop("account_id"), answer.pop("generation"))
                if key in self._answers:
                    self._keep(key, asked_at, answer)
                    renewed += 1
        return renewed

    def _ask(self, generation: int, services: ServiceCaller) -> dict:
        try:
            answer = services.call("identity", "session_status", generation=generation)
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "Your session cannot be checked right now; try again in a moment."
            ) from exc
        return SessionStatusSchema().load(answer)
