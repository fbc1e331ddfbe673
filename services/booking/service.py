"""The booking service: one class composed of its areas' entrypoint mixins.

Each area (settings, workers, jobtypes, sites, search, bookings, offers, attendance,
reliability) is a sub-package with the same files: entrypoints.py, domain.py, models.py,
schemas.py, routes.py, and rules.py where it has pure rules.
"""

from __future__ import annotations

from chassis.service import ServiceBase
from services.booking.attendance import models as _attendance  # noqa: F401
from services.booking.bookings import models as _bookings  # noqa: F401
from services.booking.jobtypes import models as _jobtypes  # noqa: F401
from services.booking.offers import models as _offers  # noqa: F401
from services.booking.reliability import models as _reliability  # noqa: F401
from services.booking.settings import models as _settings  # noqa: F401
from services.booking.sites import models as _sites  # noqa: F401
from services.booking.workers import models as _workers  # noqa: F401
from services.booking.workers.entrypoints import WorkersEntrypoints


class BookingService(WorkersEntrypoints, ServiceBase):
    name = "booking"
