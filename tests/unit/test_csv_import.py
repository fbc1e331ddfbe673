"""The CSV import engine (chassis.csv_import): decoding, header checks, per-row reasons,
duplicates, ragged rows, chunks with progress and resuming from a position."""

from __future__ import annotations

import base64
import codecs

import pytest
from marshmallow import Schema, fields, validate

from chassis.csv_import import (
    ROW_KEY,
    Chunk,
    CsvTable,
    DelimitedList,
    MalformedCsv,
    Progress,
    check_is_text,
    decode_csv,
    flatten_messages,
    process,
    read_csv_upload,
)
from chassis.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed


class PersonRow(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(max=20))
    age = fields.Integer(load_default=None, validate=validate.Range(min=16))
    tags = DelimitedList(fields.String(validate=validate.Length(max=5)), load_default=list)


def table(text: str, **options) -> CsvTable:
    return CsvTable(text, PersonRow(), **options)


def upload(data: bytes, filename: str = "people.csv") -> dict:
    return {"filename": filename, "data": base64.b64encode(data).decode()}


def test_good_rows_load_and_bad_rows_say_why_per_field():
    rows = list(
        table("email,name,age,tags\nann@example.org,Ann,30,a; b|c\nnope,,12,toolong\n").rows()
    )
    assert rows[0].ok and rows[0].row == 2
    assert rows[0].data == {
        "email": "ann@example.org",
        "name": "Ann",
        "age": 30,
        "tags": ["a", "b", "c"],
    }
    assert not rows[1].ok and rows[1].row == 3 and rows[1].data is None
    assert rows[1].errors == {
        "email": ["Not a valid email address."],
        "name": ["Missing data for required field."],
        "age": ["Must be greater than or equal to 16."],
        "tags": ["item 1: Longer than maximum length 5."],
    }


def test_headers_are_normalised_and_unknown_columns_ignored():
    t = table(" EMAIL ,Name,Home  Notes\nann@example.org,Ann,hello\n")
    assert t.header == ["email", "name", "home_notes"]
    assert t.ignored_columns == ["home_notes"]
    assert next(t.rows()).ok


def test_aliases_map_other_spellings():
    t = table(
        "E-mail,Full name\nann@example.org,Ann\n", aliases={"e_mail": "email", "full_name": "name"}
    )
    assert [r.data for r in t.rows()] == [
        {"email": "ann@example.org", "name": "Ann", "age": None, "tags": []}
    ]
    assert t.ignored_columns == []


def test_empty_cells_count_as_missing_so_defaults_apply():
    (row,) = table("email,name,age\nann@example.org,Ann,\n").rows()
    assert row.data["age"] is None


def test_duplicates_within_the_file_name_the_first_row_without_case():
    rows = list(
        table(
            "email,name\nann@example.org,Ann\nbob@example.org,Bob\nANN@example.org ,Ann again\n",
            unique=("email",),
        ).rows()
    )
    assert rows[2].errors == {"email": ["Repeats row 2."]}


def test_ragged_rows_are_bad_rows_but_trailing_empty_cells_are_not():
    rows = list(
        table(
            "email,name,age\nann@example.org,Ann\nbob@example.org,Bob,20,,\nc@example.org,C,20,x\n"
        ).rows()
    )
    assert rows[0].errors == {ROW_KEY: ["It has 2 cells; the header has 3."]}
    assert rows[1].ok
    assert rows[2].errors == {ROW_KEY: ["It has 4 cells; the header has 3."]}


def test_blank_lines_are_skipped_and_row_numbers_stay_true():
    t = table("email,name\n\nann@example.org,Ann\n , \nbob@example.org,Bob\n")
    assert t.total == 2
    assert [r.row for r in t.rows()] == [3, 5]


def test_semicolon_and_tab_separated_files_are_read():
    assert table("email;name\nann@example.org;Ann\n").delimiter == ";"
    assert next(table("email\tname\nann@example.org\tAnn\n").rows()).ok


def test_quoted_fields_may_hold_commas_and_newlines():
    (row,) = table('email,name,tags\nann@example.org,"Ann, Jr","a;\nb"\n').rows()
    assert row.data["name"] == "Ann, Jr" and row.data["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "it is empty"),
        ("email,name\n", "it has a header but no rows"),
        ("email,age\na@b.org,20\n", "it lacks the required columns: name"),
        ("email,name,Email\na@b.org,A,c@d.org\n", "these columns appear more than once: email"),
        ('email,name\n"a@b.org,A\n', "line 2: unexpected end of data"),
    ],
)
def test_a_malformed_file_is_refused_as_a_whole(text, reason):
    with pytest.raises(MalformedCsv) as raised:
        table(text)
    assert reason in raised.value.message
    assert raised.value.status == 422 and "file" in raised.value.fields
    assert isinstance(raised.value, ValidationFailed)


def test_too_many_rows_are_refused():
    with pytest.raises(MalformedCsv, match="at most 2"):
        table("email,name\na@b.org,A\nb@b.org,B\nc@b.org,C\n", max_rows=2)


def test_decoding_utf8_with_or_without_bom_and_utf16_with_its_mark():
    assert decode_csv(b"email,name\n") == "email,name\n"
    assert decode_csv(codecs.BOM_UTF8 + "ñ".encode()) == "ñ"
    assert decode_csv("email,ñ\n".encode("utf-16")) == "email,ñ\n"
    with pytest.raises(MalformedCsv, match="line 2"):
        decode_csv("email,name\nJosé,x\n".encode("latin-1"))


@pytest.mark.parametrize(
    "data, what",
    [
        (b"PK\x03\x04rest", "Excel"),
        (b"%PDF-1.4", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "image"),
        (b"email,name\n\x00\x01", "binary"),
    ],
)
def test_files_that_are_not_text_are_refused_with_415(data, what):
    with pytest.raises(UnsupportedMediaType) as raised:
        check_is_text(data)
    assert what in raised.value.message


def test_reading_an_upload_checks_presence_size_and_type():
    assert read_csv_upload(upload(b"email,name\n")) == ("people.csv", b"email,name\n")
    for bad in (None, {}, {"data": "***"}, {"data": ""}):
        with pytest.raises(ValidationFailed):
            read_csv_upload(bad)
    with pytest.raises(PayloadTooLarge):
        read_csv_upload(upload(b"x" * 2048), max_bytes=1024)
    with pytest.raises(UnsupportedMediaType):
        read_csv_upload(upload(b"%PDF-1.7"))


def test_messages_are_flattened_to_a_list_of_reasons_per_field():
    assert flatten_messages({"_schema": ["Bad."], "tags": {0: ["Too long."], 2: ["Empty."]}}) == {
        ROW_KEY: ["Bad."],
        "tags": ["item 1: Too long.", "item 3: Empty."],
    }
    assert flatten_messages(["Bad."]) == {ROW_KEY: ["Bad."]}


def people(n: int) -> str:
    return "email,name\n" + "".join(f"p{i}@example.org,P{i}\n" for i in range(n))


def test_process_hands_out_chunks_with_positions_and_progress():
    chunks: list[Chunk] = []
    progress: list[Progress] = []
    final = process(
        table(people(7) + "bad,\n"), chunks.append, chunk_size=3, on_progress=progress.append
    )
    assert [(c.start, c.end, len(c.rows)) for c in chunks] == [(0, 3, 3), (3, 6, 3), (6, 8, 2)]
    assert [p.done for p in progress] == [3, 6, 8]
    assert final == Progress(total=8, done=8, good=7, bad=1)


def test_process_resumes_from_a_position_and_still_sees_earlier_duplicates():
    text = people(5) + "p1@example.org,Again\n"
    seen: list[int] = []
    final = process(
        table(text, unique=("email",)),
        lambda chunk: seen.extend(r.index for r in chunk.rows),
        chunk_size=2,
        start=4,
    )
    assert seen == [4, 5]
    assert final.bad == 1 and final.done == 6


def test_validate_reports_every_bad_row():
    report = table(people(3) + "bad,\nworse,W\n").validate()
    assert report.total == 5 and report.good == 3
    assert [e.row for e in report.bad] == [5, 6]
    assert report.bad[0].to_dict() == {
        "row": 5,
        "errors": {
            "email": ["Not a valid email address."],
            "name": ["Missing data for required field."],
        },
    }


def test_malformed_csv_crosses_rpc_as_itself():
    from nameko.exceptions import deserialize, serialize

    error = MalformedCsv.because("it is empty.")
    again = deserialize(serialize(error))
    assert isinstance(again, MalformedCsv)
    assert again.message == error.message and again.fields == {"file": ["it is empty."]}
