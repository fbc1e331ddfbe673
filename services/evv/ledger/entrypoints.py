"""The sealer (a timer on every instance; one instance seals a CBO at a time), the chain's
verification for staff and the public key for anyone."""

from __future__ import annotations

from chassis.config import Settings
from chassis.context import Caller, public, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc, timer
from services.evv.ledger import domain, rules
from services.evv.ledger.schemas import PublicKeySchema, VerificationSchema


class LedgerEntrypoints:
    db: UnitOfWork
    caller: Caller
    settings: Settings

    def _key(self):
        return rules.signing_key(self.settings.evv_signing_key)

    @timer("evv_seal_seconds")
    def seal_chains(self) -> None:
        """Chain and sign the punches and corrections written since the last tick."""
        domain.seal(self.db, key=self._key())

    @rpc
    @requires("timesheets.approve")
    def verify_chain(self) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        found = domain.verify(self.db, tenant_id=tenant_id, key=self._key())
        return VerificationSchema().dump(found.as_dict())

    @rpc
    @public
    def evv_public_key(self) -> dict:
        return PublicKeySchema().dump(domain.public_key(self._key()))
