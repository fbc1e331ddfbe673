"""The identity service's nameko entrypoints: thin, over services.identity.domain."""

from __future__ import annotations

from chassis.context import public
from chassis.entrypoints import rpc
from chassis.errors import Unauthenticated
from chassis.service import ServiceBase
from services.identity import domain
from services.identity.jobseeker_service import JobseekerEntrypoints
from services.identity.schemas import (
    MeSchema,
    RefreshSchema,
    SignInSchema,
    TokenPairSchema,
)


class IdentityService(JobseekerEntrypoints, ServiceBase):
    name = "identity"

    def _token_settings(self) -> domain.TokenSettings:
        return domain.TokenSettings(
            self.settings.jwt_secret,
            self.settings.access_token_minutes,
            self.settings.refresh_token_days,
        )

    @rpc
    @public
    def sign_in(self, body: dict) -> dict:
        data = SignInSchema().load(body)
        tokens = domain.sign_in(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def refresh(self, body: dict) -> dict:
        data = RefreshSchema().load(body)
        tokens = domain.refresh(self.db, settings=self._token_settings(), **data)
        return TokenPairSchema().dump(tokens)

    @rpc
    @public
    def sign_out(self, body: dict) -> None:
        data = RefreshSchema().load(body)
        domain.sign_out(self.db, settings=self._token_settings(), **data)

    @rpc
    @public
    def whoami(self) -> dict:
        if not self.caller.authenticated:
            raise Unauthenticated("Sign in first.")
        return MeSchema().dump(domain.describe(self.db, self.caller))
