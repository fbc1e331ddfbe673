"""The sessions area's entrypoints: the gateway's check of every token it is shown."""

from __future__ import annotations

from chassis.context import Caller, for_services, public, requires
from chassis.contracts import identity_rpc
from chassis.contracts.sessions import SessionStatusSchema
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from chassis.errors import Unauthenticated
from services.identity.sessions import domain
from services.identity.sessions.schemas import SessionQuerySchema


class SessionsEntrypoints:
    # Provided by ServiceBase in IdentityService.
    db: UnitOfWork
    caller: Caller

    @rpc
    @public
    def session_status(self, generation: int) -> dict:
        """Whether the caller's own token (issued under `generation`) still stands, and its
        CBO's status. Public, but scoped: the caller asks only about themselves, as the gateway
        does with the caller a token names. No route reaches it."""
        if not self.caller.authenticated or self.caller.user_id is None:
            raise Unauthenticated("Only a signed-in caller has a session.")
        data = SessionQuerySchema().load({"generation": generation})
        status = domain.session_status(
            self.db, account_id=self.caller.user_id, generation=data["generation"]
        )
        return SessionStatusSchema().dump(status)

    @rpc
    @requires("platform.operate")
    @for_services("gateway")
    def session_statuses(self, sessions: list[dict]) -> list[dict]:
        """`session_status` of many sessions at once, for the gateway's renewal of the answers
        it holds (chassis.contracts.identity_rpc.SESSION_STATUSES)."""
        request = identity_rpc.SessionStatusesRequest().load({"sessions": sessions})
        found = domain.session_statuses(
            self.db,
            sessions=[(s["account_id"], s["generation"]) for s in request["sessions"]],
        )
        return identity_rpc.SessionStatusItemSchema(many=True).dump(found)
