"""Routes of the branding area: a CBO's look, words, logo and login box, and its public page."""

from __future__ import annotations

from chassis.routes import Route
from services.tenancy.branding import schemas
from services.tenancy.branding.entrypoints import BrandingEntrypoints as Branding
from services.tenancy.common import CBO_PATH, PUBLIC_TAG, SETTINGS_TAG

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/public/cbos/<slug>/branding",
        Branding.public_branding,
        "A CBO's look and words, for its branded app and login box",
        PUBLIC_TAG,
        response=schemas.PublicBrandingSchema,
        auth=False,
        description="Only for approved CBOs; any other slug is 404.",
    ),
    Route(
        "GET",
        "/api/v1/public/cbos/<slug>/logo",
        Branding.public_logo,
        "A CBO's logo image",
        PUBLIC_TAG,
        auth=False,
        download=True,
    ),
    Route(
        "GET",
        f"{CBO_PATH}/branding",
        Branding.get_branding,
        "Your CBO's branding, words, languages and time zone",
        SETTINGS_TAG,
        response=schemas.BrandingSchema,
    ),
    Route(
        "PATCH",
        f"{CBO_PATH}/branding",
        Branding.update_branding,
        "Change your CBO's branding, words, languages or time zone",
        SETTINGS_TAG,
        body=schemas.BrandingInputSchema,
        response=schemas.BrandingSchema,
    ),
    Route(
        "PUT",
        f"{CBO_PATH}/logo",
        Branding.set_logo,
        "Upload your CBO's logo (PNG, JPEG or WebP, at most 1 MB)",
        SETTINGS_TAG,
        response=schemas.UploadReceiptSchema,
        upload=True,
    ),
    Route(
        "DELETE",
        f"{CBO_PATH}/logo",
        Branding.remove_logo,
        "Remove your CBO's logo",
        SETTINGS_TAG,
        status=204,
        errors=(404,),
    ),
    Route(
        "GET",
        f"{CBO_PATH}/login-box",
        Branding.get_login_box,
        "Your login box: allowed sites and the snippet to paste",
        SETTINGS_TAG,
        response=schemas.LoginBoxSchema,
    ),
    Route(
        "PUT",
        f"{CBO_PATH}/login-box",
        Branding.set_login_box,
        "Set the sites (https origins) allowed to use your login box",
        SETTINGS_TAG,
        body=schemas.LoginBoxInputSchema,
        response=schemas.LoginBoxSchema,
    ),
)
