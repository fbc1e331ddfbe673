"""Pure rules of the aggregator layouts (field names per shared/DOMAIN.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CALL_TYPE = {"mobile_gps": "Mobile", "telephony": "Telephony", "manual": "Manual"}

SANDATA_CALL_COLUMNS = (
    "BusinessEntityID",
    "BusinessEntityMedicaidIdentifier",
    "VisitOtherID",
    "SequenceID",
    "StaffOtherID",
    "PatientOtherID",
    "PatientMedicaidID",
    "Payer",
    "PayerProgram",
    "ProcedureCode",
    "TimeZone",
    "AdjInDateTime",
    "AdjOutDateTime",
    "BillVisit",
    "HoursToBill",
    "VisitMemo",
    "CallExternalID",
    "CallDateTime",
    "CallAssignment",
    "CallType",
    "CallLatitude",
    "CallLongitude",
)

HHA_COLUMNS = (
    "ProviderTaxID",
    "CaregiverExternalID",
    "CaregiverSSN",
    "PatientExternalID",
    "VisitExternalID",
    "ServiceCode",
    "ScheduleStartTime",
    "ScheduleEndTime",
    "VisitStartTime",
    "VisitEndTime",
    "EVVStartTime",
    "EVVEndTime",
    "EVVInLatitude",
    "EVVInLongitude",
    "EVVOutLatitude",
    "EVVOutLongitude",
    "EditReasons",
)


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sandata_visit(visit: dict[str, Any], records: list[dict[str, Any]], timezone: str) -> dict:
    """One Sandata-style visit: its punches as Calls, its corrections as VisitChanges."""
    punches = [r for r in records if r["record_type"] == "punch"]
    changes = [r for r in records if r["record_type"] == "correction"]
    minutes = visit["worked_minutes"]
    return {
        "BusinessEntityID": visit["tenant_id"],
        "BusinessEntityMedicaidIdentifier": visit["tenant_id"],
        "VisitOtherID": visit["id"],
        "SequenceID": visit["sequence"],
        "StaffOtherID": visit["worker_id"],
        "PatientOtherID": visit["client_id"],
        "PatientMedicaidID": None,
        "Payer": None,
        "PayerProgram": None,
        "ProcedureCode": visit["service_type"],
        "TimeZone": timezone,
        "AdjInDateTime": _utc(visit["clock_in_at"]),
        "AdjOutDateTime": _utc(visit["clock_out_at"]),
        "BillVisit": visit["approved"],
        "HoursToBill": round(minutes / 60, 2),
        "VisitMemo": None,
        "Calls": [
            {
                "CallExternalID": r["id"],
                "CallDateTime": _utc(r["device_time"]),
                "CallAssignment": "Time In" if r["kind"] == "clock_in" else "Time Out",
                "CallType": CALL_TYPE.get(r["method"], "Other"),
                # Alternate systems must send a position on every call: the site's when the
                # phone had none.
                "CallLatitude": r["latitude"] if r["latitude"] is not None else visit["latitude"],
                "CallLongitude": r["longitude"]
                if r["longitude"] is not None
                else visit["longitude"],
            }
            for r in punches
        ],
        "VisitChanges": [
            {
                "SequenceID": r["seq"],
                "ChangeMadeByEmail": r["entered_by"],
                "ChangeDateTime": _utc(r["server_time"]),
                "ReasonCode": r["reason_code"],
                "ChangeReasonMemo": r["comment"],
                "ResolutionCode": r["action_code"],
            }
            for r in changes
        ],
    }


def sandata_call_rows(visit: dict) -> list[list[Any]]:
    """The flat file: one row per call, the visit's fields repeated."""
    head = [visit[c] for c in SANDATA_CALL_COLUMNS[:16]]
    return [head + [call[c] for c in SANDATA_CALL_COLUMNS[16:]] for call in visit["Calls"]] or [
        head + [None] * 6
    ]


def hha_visit(visit: dict[str, Any], records: list[dict[str, Any]]) -> dict:
    def last(kind: str, record_type: str | None = None) -> dict | None:
        found = [
            r
            for r in records
            if r["kind"] == kind and (record_type is None or r["record_type"] == record_type)
        ]
        return found[-1] if found else None

    punch_in, punch_out = last("clock_in", "punch"), last("clock_out", "punch")
    return {
        "ProviderTaxID": visit["tenant_id"],
        "CaregiverExternalID": visit["worker_id"],
        "CaregiverSSN": "999999999",
        "PatientExternalID": visit["client_id"],
        "VisitExternalID": visit["id"],
        "ServiceCode": visit["service_type"],
        "ScheduleStartTime": _utc(visit["starts_at"]),
        "ScheduleEndTime": _utc(visit["ends_at"]),
        "VisitStartTime": _utc(visit["clock_in_at"]),
        "VisitEndTime": _utc(visit["clock_out_at"]),
        "EVVStartTime": _utc(punch_in["device_time"]) if punch_in else None,
        "EVVEndTime": _utc(punch_out["device_time"]) if punch_out else None,
        "EVVInLatitude": punch_in["latitude"] if punch_in else None,
        "EVVInLongitude": punch_in["longitude"] if punch_in else None,
        "EVVOutLatitude": punch_out["latitude"] if punch_out else None,
        "EVVOutLongitude": punch_out["longitude"] if punch_out else None,
        "EditReasons": ";".join(
            f"{r['reason_code']}/{r['action_code']}"
            for r in records
            if r["record_type"] == "correction"
        ),
    }
