"""Aggregator exports for the CBO's staff."""

from __future__ import annotations

from chassis.context import Caller, requires
from chassis.db import UnitOfWork
from chassis.entrypoints import rpc
from services.evv.exports import domain
from services.evv.exports.schemas import ExportQuerySchema


class ExportsEntrypoints:
    db: UnitOfWork
    caller: Caller

    def _export(self, layout: str, query: dict | None) -> dict:
        tenant_id = self.caller.require_staff_tenant()
        options = ExportQuerySchema().load(query or {})
        return domain.export(
            self.db,
            tenant_id=tenant_id,
            layout=layout,
            fmt=options["format"],
            start=options["start"],
            end=options["end"],
        )

    @rpc
    @requires("timesheets.approve")
    def export_sandata(self, query: dict | None = None) -> dict:
        return self._export("sandata", query)

    @rpc
    @requires("timesheets.approve")
    def export_hhaexchange(self, query: dict | None = None) -> dict:
        return self._export("hhaexchange", query)
