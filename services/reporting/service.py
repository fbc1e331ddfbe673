"""The reporting service: one class composed of its areas' entrypoint mixins.

Areas: records (the read model and rollups built only from the other services' events, and
its rebuild from the replay log), dashboards (KPIs, earnings profile, activity by user,
skills and prospects, downloads), schedules (scheduled deliveries by email, each sent once).
"""

from __future__ import annotations

from chassis.mail import Mail, Mailer
from chassis.service import ServiceBase
from services.reporting.dashboards.entrypoints import DashboardsEntrypoints
from services.reporting.records.entrypoints import RecordsEntrypoints
from services.reporting.schedules.entrypoints import SchedulesEntrypoints


class ReportingService(
    RecordsEntrypoints,
    DashboardsEntrypoints,
    SchedulesEntrypoints,
    ServiceBase,
):
    name = "reporting"

    mail: Mailer = Mail()  # type: ignore[assignment]
