"""Routes of the tenants area: applying, the city's decisions, and MOUs."""

from __future__ import annotations

from chassis.routes import Route
from chassis.schemas import ReasonSchema
from services.tenancy.common import CBO_PATH, PLATFORM_PATH, PLATFORM_TAG, PUBLIC_TAG, SETTINGS_TAG
from services.tenancy.tenants import schemas
from services.tenancy.tenants.entrypoints import TenantsEntrypoints as Tenants

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/cbo-applications",
        Tenants.apply,
        "Apply for a CBO to join the platform",
        PUBLIC_TAG,
        body=schemas.ApplicationSchema,
        response=schemas.ApplicationReceiptSchema,
        status=201,
        auth=False,
        description="The city reviews the application; on approval the owner named here is "
        "invited to set a password.",
        errors=(409,),
    ),
    Route(
        "GET",
        PLATFORM_PATH,
        Tenants.list_tenants,
        "List CBOs and their applications",
        PLATFORM_TAG,
        query=schemas.TenantQuerySchema,
        response=schemas.TenantPageSchema,
    ),
    Route(
        "GET",
        f"{PLATFORM_PATH}/<tenant_id>",
        Tenants.get_tenant,
        "One CBO",
        PLATFORM_TAG,
        response=schemas.TenantSchema,
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/approve",
        Tenants.approve_tenant,
        "Approve a CBO's application (its owner is invited)",
        PLATFORM_TAG,
        response=schemas.TenantSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/reject",
        Tenants.reject_tenant,
        "Reject a CBO's application, with a reason",
        PLATFORM_TAG,
        body=ReasonSchema,
        response=schemas.TenantSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/suspend",
        Tenants.suspend_tenant,
        "Suspend a CBO, with a reason (its users can no longer sign in)",
        PLATFORM_TAG,
        body=ReasonSchema,
        response=schemas.TenantSchema,
        errors=(409,),
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/reinstate",
        Tenants.reinstate_tenant,
        "Reinstate a suspended CBO, with a reason",
        PLATFORM_TAG,
        body=ReasonSchema,
        response=schemas.TenantSchema,
        errors=(409,),
    ),
    # -- MOUs ------------------------------------------------------------------------------------
    Route(
        "GET",
        f"{PLATFORM_PATH}/<tenant_id>/mous",
        Tenants.list_tenant_mous,
        "A CBO's MOUs, newest first",
        PLATFORM_TAG,
        query=schemas.MouQuerySchema,
        response=schemas.MouPageSchema,
    ),
    Route(
        "POST",
        f"{PLATFORM_PATH}/<tenant_id>/mous",
        Tenants.record_mou,
        "Record a CBO's MOU: dates and signatories",
        PLATFORM_TAG,
        body=schemas.MouInputSchema,
        response=schemas.MouSchema,
        status=201,
        description="Upload the signed document afterwards with PUT …/mous/{mou_id}/document.",
        errors=(409,),
    ),
    Route(
        "PUT",
        f"{PLATFORM_PATH}/<tenant_id>/mous/<mou_id>/document",
        Tenants.attach_mou_document,
        "Upload the signed MOU (PDF)",
        PLATFORM_TAG,
        response=schemas.MouSchema,
        upload=True,
    ),
    Route(
        "GET",
        f"{PLATFORM_PATH}/<tenant_id>/mous/<mou_id>/document",
        Tenants.tenant_mou_document,
        "Download a CBO's signed MOU",
        PLATFORM_TAG,
        download=True,
    ),
    Route(
        "GET",
        f"{CBO_PATH}/mous",
        Tenants.list_own_mous,
        "Your CBO's MOUs",
        SETTINGS_TAG,
        query=schemas.MouQuerySchema,
        response=schemas.MouPageSchema,
    ),
    Route(
        "GET",
        f"{CBO_PATH}/mous/<mou_id>/document",
        Tenants.own_mou_document,
        "Download your CBO's signed MOU",
        SETTINGS_TAG,
        download=True,
    ),
)
