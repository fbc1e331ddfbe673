"""Cells for files people open in a spreadsheet (CSV and XLSX exports).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets: a job seeker named `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` would act on the computer of the staff member who opens the export (CSV
injection, OWASP). Every export writes its cells through `safe_cell`, which puts an apostrophe
in front of such text so that it shows as typed; numbers, dates and booleans stay what they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text that is only a number ("-12", "+3.5") is no formula: a spreadsheet reads it as the
# number it is, so it is left alone.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as it may go into a spreadsheet cell: text that a spreadsheet would run as a
    formula gets a leading apostrophe; anything that is not text is returned unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def write_csv(stream: io.TextIOBase, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write `header` and `rows` as CSV to `stream` (opened with newline=""), every cell made
    safe. None is written as an empty cell; dates and times in ISO 8601."""
    writer = csv.writer(stream)
    writer.writerow(safe_row(header))
    # One pass per cell (a payroll file has hundreds of thousands of them).
    writer.writerows([_safe_plain(value) for value in row] for row in rows)


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """The CSV file for a download: UTF-8 with a byte-order mark, so that Excel reads names in
    every script correctly."""
    buffer = io.StringIO(newline="")
    write_csv(buffer, header, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _safe_plain(value: Any) -> Any:
    """safe_cell(_plain(value)) in one call."""
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
        return value
    if value is None:
        return ""
    if isinstance(value, date | datetime | time):
        return safe_cell(value.isoformat())
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return value
