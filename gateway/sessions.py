"""The gateway's session check: the one place that refuses a token whose session has ended
(401) and every write of a CBO that is not approved (403).

A signed access token stays valid for its whole lifetime, so on each request that carries one
the gateway asks identity (`session_status`, chassis.contracts.sessions) whether the account
still stands behind it. Answers are cached per (account, session generation) for a few
seconds (`WORKLB_SESSION_CHECK_SECONDS`) in a bounded LRU, and requests that miss the cache
together share one call: a busy person costs identity one call every few seconds. A change
reaches every gateway instance within that time, so nothing here needs to be shared between
instances. If identity does not answer, the request fails closed (503).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from eventlet.event import Event
from werkzeug.wrappers import Request

from chassis.context import Caller
from chassis.contracts.sessions import APPROVED, SessionStatusSchema
from chassis.errors import Forbidden, ServiceUnavailable, Unauthenticated
from chassis.rpc import ServiceCaller

# Where the entrypoint leaves the session generation of the request's verified token.
GENERATION_KEY = "worklb.session_generation"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_SIZE = 20_000


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
        self._answers[key] = (now + self.ttl, status)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return status

    def _ask(self, generation: int, services: ServiceCaller) -> dict:
        try:
            answer = services.call("identity", "session_status", generation=generation)
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "Your session cannot be checked right now; try again in a moment."
            ) from exc
        return SessionStatusSchema().load(answer)
