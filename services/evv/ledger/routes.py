"""Routes of the ledger area."""

from __future__ import annotations

from chassis.routes import Route
from services.evv.ledger import schemas
from services.evv.ledger.entrypoints import LedgerEntrypoints as Ledger

_TAG = "EVV record"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/evv/chain/verification",
        Ledger.verify_chain,
        "Re-check the CBO's chain of punches and corrections; names the first record changed, "
        "inserted or removed",
        _TAG,
        response=schemas.VerificationSchema,
    ),
    Route(
        "GET",
        "/api/v1/evv/public-key",
        Ledger.evv_public_key,
        "The public half of the key that signs EVV's chains (Ed25519)",
        _TAG,
        response=schemas.PublicKeySchema,
        auth=False,
    ),
)
