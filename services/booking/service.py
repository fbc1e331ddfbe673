"""The booking service: one class composed of its areas' entrypoint mixins.

Each area (settings, workers, jobtypes, sites, search, bookings, offers, sharing,
attendance, reliability, watch) is a sub-package with the same files: entrypoints.py,
domain.py, models.py, schemas.py, routes.py, and rules.py where it has pure rules.
"""

from __future__ import annotations

from chassis.rpc import ServiceCaller, Services
from chassis.service import ServiceBase
from services.booking.attendance.entrypoints import AttendanceEntrypoints
from services.booking.bookings.entrypoints import BookingsEntrypoints
from services.booking.jobtypes.entrypoints import JobtypesEntrypoints
from services.booking.offers.entrypoints import OffersEntrypoints
from services.booking.reliability.entrypoints import ReliabilityEntrypoints
from services.booking.search.entrypoints import SearchEntrypoints
from services.booking.settings.entrypoints import SettingsEntrypoints
from services.booking.sharing.entrypoints import SharingEntrypoints
from services.booking.sites.entrypoints import SitesEntrypoints
from services.booking.watch.entrypoints import WatchEntrypoints
from services.booking.workers.entrypoints import WorkersEntrypoints


class BookingService(
    JobtypesEntrypoints,
    SitesEntrypoints,
    SettingsEntrypoints,
    BookingsEntrypoints,
    AttendanceEntrypoints,
    ReliabilityEntrypoints,
    SearchEntrypoints,
    OffersEntrypoints,
    SharingEntrypoints,
    WorkersEntrypoints,
    WatchEntrypoints,
    ServiceBase,
):
    name = "booking"

    # Asked for a client or worker source a caller names before its event reaches booking.
    services: ServiceCaller = Services()  # type: ignore[assignment]
