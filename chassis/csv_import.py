"""Importing records from a CSV file, for any service: decode the upload, check the header,
validate each row with a marshmallow row schema, report every bad row (its row number and a
reason per field), and hand the rows to the caller in chunks with progress.

No framework and no database in here: a service decides what a chunk means (a transaction) and
where the position is kept, so a crashed run can start again from `start`.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first record row 2.
Malformed files (not text, not UTF-8, unterminated quotes, missing or repeated columns, no rows)
are refused as a whole before any row is handed out; a ragged row (too few or too many cells)
is a bad row like any other.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from chassis.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from chassis.uploads import safe_filename

MAX_CSV_BYTES = 20 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 2000
ROW_KEY = "_row"  # errors about the row as a whole (ragged rows)

# Files people upload by mistake instead of a CSV export, told apart by their first bytes.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook or another zip file; save it as 'CSV UTF-8' first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook; save it as 'CSV UTF-8' first"),
    (b"%PDF-", "a PDF"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
)
_DELIMITERS = (",", ";", "\t")
_HEADER_CLEAN = re.compile(r"[\s\-]+")


class MalformedCsv(ValidationFailed):
    """The file as a whole cannot be read as CSV (422, with the reason under `field`)."""

    @classmethod
    def because(cls, reason: str, field: str = "file") -> MalformedCsv:
        return cls(f"The CSV file cannot be read: {reason}", {field: [reason]})


# -- reading the upload ----------------------------------------------------------------------


def read_csv_upload(
    value: object, *, max_bytes: int = MAX_CSV_BYTES, field: str = "file"
) -> tuple[str, bytes]:
    """(filename, bytes) of an uploaded CSV from the gateway's upload dict, or a 4xx error.

    chassis.uploads.read_upload sniffs binary types only; a CSV is text, so this checks that it
    is not something else (a workbook, a PDF, an image, any file with NUL bytes) instead."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise ValidationFailed(fields={field: ["Attach a CSV file."]})
    try:
        data = base64.b64decode(value["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(fields={field: ["The file could not be read."]}) from exc
    if not data:
        raise ValidationFailed(fields={field: ["The file is empty."]})
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"A CSV file may be at most {max_bytes // (1024 * 1024)} MB.",
            {field: [f"At most {max_bytes} bytes."]},
        )
    check_is_text(data, field=field)
    filename = safe_filename(value.get("filename"), default="import.csv")
    return filename, data


def check_is_text(data: bytes, *, field: str = "file") -> None:
    """Refuse (415) bytes that are plainly not a text file."""
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedMediaType(
                f"Upload a CSV file; this is {what}.", {field: [f"This is {what}, not CSV."]}
            )
    # UTF-16 text has NUL bytes everywhere; it is allowed only with its byte-order mark.
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\0" in data[:65536]:
        raise UnsupportedMediaType(
            "Upload a CSV file; this one is binary.", {field: ["This is not a text file."]}
        )


def decode_csv(data: bytes, *, field: str = "file") -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), or UTF-16 with its mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MalformedCsv.because(
            f"it is not UTF-8 text (line {line} has a byte UTF-8 does not allow). "
            "Save it as 'CSV UTF-8' and upload it again.",
            field,
        ) from exc
    if "\0" in text:
        raise MalformedCsv.because("it contains NUL characters.", field)
    return text


# -- a marshmallow field for cells that hold several values -----------------------------------


class DelimitedList(fields.List):
    """A list written in one cell: "cooking; driving" (';' or '|' between values)."""

    def __init__(self, inner: fields.Field, *, separators: str = ";|", **kwargs: Any) -> None:
        super().__init__(inner, **kwargs)
        self._split = re.compile("[" + re.escape(separators) + "]")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [part.strip() for part in self._split.split(value) if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    """One record of the file: its loaded data, or the reasons it is bad."""

    row: int  # as a spreadsheet numbers it (header = 1)
    index: int  # 0-based among the file's non-blank records; positions count these
    data: dict[str, Any] | None
    errors: dict[str, list[str]] | None
    raw: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.errors is None


@dataclass(frozen=True)
class RowError:
    row: int
    errors: dict[str, list[str]]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "errors": self.errors}


@dataclass
class ValidationReport:
    total: int
    good: int = 0
    bad: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """Rows [start, end) of the file's records; a caller stores `end` as its position."""

    start: int
    end: int
    rows: list[RowResult]


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    good: int
    bad: int


def normalise_header(name: str) -> str:
    return _HEADER_CLEAN.sub("_", name.strip().lower()).strip("_")


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """marshmallow's messages as {field: [reason, ...]} (list items as 'item N: reason')."""
    if not isinstance(messages, dict):
        return {ROW_KEY: [str(m) for m in _as_list(messages)]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = ROW_KEY if key == "_schema" else str(key)
        flat.setdefault(name, []).extend(_reasons(value))
    return flat


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _reasons(value: Any) -> list[str]:
    if isinstance(value, dict):
        found: list[str] = []
        for key, inner in value.items():
            prefix = f"item {int(key) + 1}: " if isinstance(key, int) else f"{key}: "
            found.extend(prefix + reason for reason in _reasons(inner))
        return found
    return [str(reason) for reason in _as_list(value)]


class CsvTable:
    """A decoded CSV file read against a row schema. Creating it reads the whole file once, so
    a malformed file is refused (MalformedCsv) before any row is handed to anybody.

    - `aliases` maps other header spellings onto the schema's column names ("e_mail": "email").
    - `unique` names columns whose values must not repeat within the file (compared without
      case); a repeat is a bad row that names the first row.
    - Columns the schema does not know are ignored and listed in `ignored_columns`.
    """

    def __init__(
        self,
        text: str,
        schema: Schema,
        *,
        aliases: Mapping[str, str] | None = None,
        unique: Sequence[str] = (),
        max_rows: int | None = None,
        field: str = "file",
    ) -> None:
        self.text = text
        self.schema = schema
        self.unique = tuple(unique)
        self.field = field
        self.delimiter = self._delimiter(text)
        known = {f.data_key or name: name for name, f in schema.fields.items() if not f.dump_only}
        lookup = {normalise_header(k): k for k in known}
        for alias, column in (aliases or {}).items():
            lookup.setdefault(normalise_header(alias), column)
        records = self._records()
        try:
            header = next(records)[1]
        except StopIteration:
            raise MalformedCsv.because(
                "it is empty; the first line must name the columns.", field
            ) from None
        self.header = [normalise_header(h) for h in header]
        self.columns: list[str | None] = [lookup.get(h) for h in self.header]
        self.ignored_columns = [h for h, c in zip(self.header, self.columns, strict=True) if not c]
        mapped = [c for c in self.columns if c]
        repeated = sorted({c for c in mapped if mapped.count(c) > 1})
        if repeated:
            raise MalformedCsv.because(
                f"these columns appear more than once: {', '.join(repeated)}.", field
            )
        required = [
            f.data_key or name
            for name, f in schema.fields.items()
            if f.required and not f.dump_only
        ]
        missing = [c for c in required if c not in mapped]
        if missing:
            raise MalformedCsv.because(
                f"it lacks the required columns: {', '.join(missing)}.", field
            )
        for column in self.unique:
            if column not in mapped:
                raise ValueError(f"unique column {column!r} is not among the schema's columns")
        # The first full read: counts the records and surfaces quoting errors now.
        self.total = sum(1 for _ in records)
        if self.total == 0:
            raise MalformedCsv.because("it has a header but no rows.", field)
        if max_rows is not None and self.total > max_rows:
            raise MalformedCsv.because(
                f"it has {self.total} rows; at most {max_rows} are allowed.", field
            )

    @staticmethod
    def _delimiter(text: str) -> str:
        first = text.split("\n", 1)[0]
        counts = {d: first.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(spreadsheet row, cells) of each non-blank record, the header first."""
        reader = csv.reader(
            io.StringIO(self.text, newline=""), delimiter=self.delimiter, strict=True
        )
        row = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise MalformedCsv.because(f"line {reader.line_num}: {exc}.", self.field) from exc
            row += 1
            if not any(cell.strip() for cell in cells):
                continue
            yield row, cells

    def rows(self, start: int = 0) -> Iterator[RowResult]:
        """Every record from index `start` on, validated. Records before `start` are read
        but not validated; their `unique` values still count, so a resumed run reports the
        same duplicates as a whole one."""
        records = self._records()
        next(records)  # the header
        width = len(self.header)
        seen: dict[str, dict[str, int]] = {column: {} for column in self.unique}
        positions = {c: i for i, c in enumerate(self.columns) if c}
        load = self.schema.load
        for index, (row, cells) in enumerate(records):
            duplicates: dict[str, list[str]] = {}
            for column in self.unique:
                at = positions[column]
                key = cells[at].strip().casefold() if at < len(cells) else ""
                if not key:
                    continue
                first = seen[column].setdefault(key, row)
                if first != row:
                    duplicates[column] = [f"Repeats row {first}."]
            if index < start:
                continue
            raw = {
                column: cells[i].strip()
                for i, column in enumerate(self.columns)
                if column and i < len(cells) and cells[i].strip()
            }
            errors: dict[str, list[str]] = {}
            # Trailing empty cells (some spreadsheets write them) are not ragged.
            if len(cells) < width or any(c.strip() for c in cells[width:]):
                errors[ROW_KEY] = [f"It has {len(cells)} cells; the header has {width}."]
            data = None
            try:
                data = load(raw, unknown=EXCLUDE)
            except ValidationError as exc:
                for key, reasons in flatten_messages(exc.messages).items():
                    errors.setdefault(key, []).extend(reasons)
            for key, reasons in duplicates.items():
                errors.setdefault(key, []).extend(reasons)
            if errors:
                yield RowResult(row, index, None, errors, raw)
            else:
                yield RowResult(row, index, data, None, raw)

    def validate(self) -> ValidationReport:
        """Every bad row, with its reasons; nothing is handed out."""
        report = ValidationReport(total=self.total, ignored_columns=list(self.ignored_columns))
        for result in self.rows():
            if result.ok:
                report.good += 1
            else:
                report.bad.append(RowError(result.row, result.errors or {}))
        return report


def chunked(rows: Iterable[RowResult], size: int) -> Iterator[list[RowResult]]:
    batch: list[RowResult] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def process(
    table: CsvTable,
    handle: Callable[[Chunk], None],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    start: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Hand the table's records from `start` on to `handle`, `chunk_size` at a time (good and
    bad rows alike: the caller decides what a bad row means). `handle` should make each chunk
    durable together with its `end`, so a crashed run can be started again at that position."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    good = bad = 0
    done = start
    for rows in chunked(table.rows(start), chunk_size):
        chunk = Chunk(start=done, end=done + len(rows), rows=rows)
        handle(chunk)
        done = chunk.end
        ok = sum(1 for r in rows if r.ok)
        good += ok
        bad += len(rows) - ok
        if on_progress is not None:
            on_progress(Progress(total=table.total, done=done, good=good, bad=bad))
    return Progress(total=table.total, done=done, good=good, bad=bad)


IMPORT_MODES = ("dry_run", "all_or_nothing", "skip_bad_rows")


class ImportOptionsSchema(Schema):
    """The form fields every CSV import takes besides its `file` part, the same for clients
    and job seekers. An import of one kind may add its own fields in a subclass."""

    class Meta:
        unknown = EXCLUDE

    file = fields.Raw(load_only=True, metadata={"description": "The CSV file (multipart part)."})
    mode = fields.String(
        load_default="dry_run",
        validate=validate.OneOf(IMPORT_MODES),
        metadata={
            "description": "dry_run (the default) checks every row, reports each bad one and "
            "writes nothing; all_or_nothing writes nothing if any row is bad; skip_bad_rows "
            "writes the good rows and reports the bad ones."
        },
    )
