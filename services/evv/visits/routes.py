"""Routes of the visits area."""

from __future__ import annotations

from chassis.routes import Route
from services.evv.visits import schemas
from services.evv.visits.entrypoints import VisitsEntrypoints as Visits

_TAG = "EVV visits"

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/me/visits/punches",
        Visits.punch,
        "Clock in or out of your confirmed shift (idempotent by the punch's own id)",
        _TAG,
        body=schemas.PunchInputSchema,
        response=schemas.PunchSchema,
        status=201,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/api/v1/me/visits",
        Visits.my_visits,
        "Your visits, with their punches and exceptions",
        _TAG,
        query=schemas.VisitQuerySchema,
        response=schemas.VisitPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/visits",
        Visits.list_visits,
        "Visits of the CBO (a client user: their client's)",
        _TAG,
        query=schemas.VisitQuerySchema,
        response=schemas.VisitPageSchema,
    ),
    Route(
        "GET",
        "/api/v1/visits/<visit_id>",
        Visits.get_visit,
        "One visit: its punches, corrections (beside the originals) and exceptions",
        _TAG,
        response=schemas.VisitSchema,
    ),
    Route(
        "POST",
        "/api/v1/visits/<visit_id>/corrections",
        Visits.correct_visit,
        "Correct a visit's clock-in or clock-out (appended, with reason and action codes)",
        _TAG,
        body=schemas.CorrectionSchema,
        response=schemas.VisitSchema,
        status=201,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/v1/visit-exceptions/<exception_id>/resolve",
        Visits.resolve_exception,
        "Resolve a visit's exception with a reason code, an action code and a comment",
        _TAG,
        body=schemas.ResolveSchema,
        response=schemas.VisitSchema,
        errors=(409,),
    ),
    Route(
        "GET",
        "/api/v1/evv/settings",
        Visits.get_evv_settings,
        "The CBO's EVV settings (geofence default, tolerances, no-show window)",
        _TAG,
        response=schemas.SettingsSchema,
    ),
    Route(
        "PATCH",
        "/api/v1/evv/settings",
        Visits.update_evv_settings,
        "Change some of the CBO's EVV settings",
        _TAG,
        body=schemas.SettingsUpdateSchema,
        response=schemas.SettingsSchema,
    ),
    Route(
        "PUT",
        "/api/v1/evv/clients/<client_id>",
        Visits.set_client_evv,
        "Record whether a client chose EVV in place of approving timesheets by hand",
        _TAG,
        body=schemas.ClientChoiceSchema,
        response=schemas.ClientChoiceViewSchema,
    ),
)
