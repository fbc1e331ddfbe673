"""Routes of the clients area: client organisations and their CSV import."""

from __future__ import annotations

from chassis.paging import PageQuerySchema
from chassis.routes import Route
from services.tenancy.clients import schemas
from services.tenancy.clients.entrypoints import ClientsEntrypoints as Clients

_TAG = "Clients"

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/clients",
        Clients.list_clients,
        "List and search client organisations",
        _TAG,
        query=schemas.ClientQuerySchema,
        response=schemas.ClientPageSchema,
    ),
    Route(
        "POST",
        "/api/v1/clients",
        Clients.create_client,
        "Register a client organisation",
        _TAG,
        body=schemas.ClientInputSchema,
        response=schemas.ClientSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/clients/<client_id>",
        Clients.get_client,
        "One client organisation",
        _TAG,
        response=schemas.ClientSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/clients/<client_id>",
        Clients.update_client,
        "Change a client organisation's details (or deactivate it)",
        _TAG,
        body=schemas.ClientUpdateSchema,
        response=schemas.ClientSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/clients/imports",
        Clients.import_clients,
        "Import client organisations from a CSV file (or only check it)",
        _TAG,
        body=schemas.ClientImportOptionsSchema,
        response=schemas.ClientImportSchema,
        upload=True,
        description="Form field `mode`: dry_run (the default: report every bad row, write "
        "nothing), all_or_nothing or skip_bad_rows, as for every CSV import. Columns: name, "
        "kind, billing_contact, billing_email, billing_phone, address_line1, address_line2, "
        "city, state, postal_code, payment_terms_days, po_number, active. A row naming a "
        "client already registered (same name and billing email) is counted as existing, so "
        "importing a file again duplicates nobody.",
    ),
    Route(
        "GET",
        "/api/v1/clients/imports",
        Clients.list_client_imports,
        "Client imports, newest first",
        _TAG,
        query=PageQuerySchema,
        response=schemas.ClientImportPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/clients/imports/<import_id>",
        Clients.get_client_import,
        "One client import: its progress and its report",
        _TAG,
        response=schemas.ClientImportSchema,
    ),
)
