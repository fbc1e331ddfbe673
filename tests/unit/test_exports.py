"""Spreadsheet exports never hand a formula to the person who opens them (CSV injection)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from chassis.exports import csv_bytes, safe_cell, write_csv


@pytest.mark.parametrize(
    "text",
    [
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("https://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "-",
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Sokha", "ឡូហ្គោ", "a=b", "", "12", "-12", "+3.5", "-.5", "1e3"])
def test_ordinary_text_and_plain_numbers_in_text_stay_as_they_are(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [-12, 3.5, Decimal("-1.25"), True, None, date(2025, 1, 2)])
def test_values_that_are_not_text_stay_what_they_are(value):
    assert safe_cell(value) is value


def test_write_csv_makes_every_cell_safe_and_keeps_numbers():
    stream = io.StringIO(newline="")
    write_csv(
        stream,
        ["name", "hours", "since", "note"],
        [["=cmd|' /C calc'!A0", -4, date(2025, 3, 1), None], ["Dara", 7.5, None, "@home"]],
    )
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        ["name", "hours", "since", "note"],
        ["'=cmd|' /C calc'!A0", "-4", "2025-03-01", ""],
        ["Dara", "7.5", "", "'@home"],
    ]


def test_csv_bytes_are_utf8_with_a_byte_order_mark_for_excel():
    data = csv_bytes(["name"], [["សុខា"], ["=1+1"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["name", "សុខា", "'=1+1"]
