"""An invoice's documents: the PDF keeps Khmer and Spanish names as text a PDF reader
extracts; the CSV and QuickBooks files have their columns, their money in dollars, and no cell a
spreadsheet would run; hostile names are printed, never loaded."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from services.billing.invoices import documents

KHMER = "សុខ សុភា"
SPANISH = "José Núñez Peña"


def _invoice(**changes):
    invoice = {
        "id": "0b7c2f0e-0000-4000-8000-000000000001",
        "kind": "client",
        "number": "INV-000007",
        "status": "issued",
        "issuer_name": "Khmer Community Works",
        "bill_to_name": "City of Long Beach",
        "period_start": date(2026, 11, 23),
        "period_end": date(2026, 11, 29),
        "issued_at": datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        "due_on": date(2026, 12, 31),
        "timezone": "America/Los_Angeles",
        "total_cents": 20000 + 15938 + 1500,
        "void_reason": None,
        "replaces_number": None,
        "lines": [
            {
                "service_date": date(2026, 11, 23),
                "worker_name": KHMER,
                "job_type_name": "Home care",
                "description": "Home care",
                "minutes": 480,
                "rate_cents": 2500,
                "base_cents": 20000,
                "premium_cents": 0,
                "amount_cents": 20000,
                "evv": {
                    "service_type": "home-care",
                    "recipient": "City of Long Beach",
                    "latitude": 33.7701,
                    "longitude": -118.1937,
                    "provider": KHMER,
                    "begins_at": "2026-11-23T17:00:00+00:00",
                    "ends_at": "2026-11-24T01:00:00+00:00",
                },
            },
            {
                "service_date": date(2026, 11, 24),
                "worker_name": SPANISH,
                "job_type_name": '=HYPERLINK("https://evil.example")',
                "description": "Warehouse",
                "minutes": 450,
                "rate_cents": 2125,
                "base_cents": 15938,
                "premium_cents": 1500,
                "amount_cents": 17438,
                "evv": None,
            },
        ],
    }
    invoice.update(changes)
    return invoice


def _rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 names with the mark
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.filterwarnings("ignore")
def test_the_pdf_keeps_khmer_and_spanish_names_as_extractable_text():
    pdf = documents.invoice_pdf(_invoice())
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert KHMER in text
    assert SPANISH in text
    assert "INV-000007" in text
    assert "374.38" in text  # the total, in dollars


def test_the_html_escapes_every_value_and_the_pdf_loads_nothing():
    hostile = '<img src="http://127.0.0.1:9/x"><script>alert(1)</script>'
    invoice = _invoice(bill_to_name=hostile)
    page = documents.invoice_html(invoice)
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=&quot;http://127.0.0.1:9/x&quot;&gt;" in page
    text = PdfReader(io.BytesIO(documents.invoice_pdf(invoice))).pages[0].extract_text()
    assert "<img" in text  # printed as typed


def test_a_void_invoice_says_so_and_why():
    page = documents.invoice_html(_invoice(status="void", void_reason="Wrong hours"))
    assert "VOID: Wrong hours" in page


def test_the_csv_has_a_row_per_line_with_the_evv_elements_where_given():
    rows = _rows(documents.invoice_csv(_invoice()))
    header, first, second = rows
    assert header[0] == "Invoice number" and header[-1] == "EVV ends"
    assert first[:4] == ["INV-000007", "issued", "City of Long Beach", "2026-11-23"]
    at = dict(zip(header, first, strict=True))
    assert at["Worker"] == KHMER
    assert (at["Hours"], at["Rate"], at["Amount"]) == ("8.00", "25.00", "200.00")
    assert at["EVV location"] == "33.770100,-118.193700"
    assert at["EVV begins"] == "2026-11-23 09:00"  # in the CBO's time zone
    at = dict(zip(header, second, strict=True))
    assert at["Job type"].startswith("'=")  # neutralised
    assert at["Premiums billed"] == "15.00" and at["Amount"] == "174.38"
    assert at["EVV provider"] == ""


def test_the_quickbooks_file_has_its_columns_in_order_and_premiums_on_their_own_row():
    rows = _rows(documents.quickbooks_csv([_invoice()]))
    assert rows[0] == [
        "Invoice number",
        "Customer",
        "Invoice date",
        "Due date",
        "Item",
        "Quantity",
        "Rate",
        "Amount",
        "Service date",
    ]
    assert rows[1] == [
        "INV-000007",
        "City of Long Beach",
        "12/01/2026",  # issued 18:00 UTC = 10:00 in Long Beach
        "12/31/2026",
        "Home care",
        "8.00",
        "25.00",
        "200.00",
        "11/23/2026",
    ]
    assert rows[2][4].startswith("'=") and rows[2][5:8] == ["7.50", "21.25", "159.38"]
    assert rows[3][4].endswith("(premiums)") and rows[3][5:8] == ["1", "15.00", "15.00"]
    total = sum(round(float(row[7]) * 100) for row in rows[1:])
    assert total == _invoice()["total_cents"]


def test_a_licence_line_without_hours_is_one_of_its_amount():
    line = {
        "service_date": None,
        "worker_name": None,
        "job_type_name": None,
        "description": "EVV licence, 2026-11-16 to 2026-11-30 (15 of 30 days)",
        "minutes": None,
        "rate_cents": None,
        "base_cents": 7500,
        "premium_cents": 0,
        "amount_cents": 7500,
        "evv": None,
    }
    invoice = _invoice(kind="licence", number="LIC-000001", lines=[line], total_cents=7500)
    rows = _rows(documents.quickbooks_csv([invoice]))
    assert rows[1][4:8] == [line["description"], "1", "75.00", "75.00"]
    assert "Licence invoice LIC-000001" in documents.invoice_html(invoice)


def test_file_names():
    assert documents.filename(_invoice(), "pdf") == "INV-000007.pdf"
    assert documents.filename(_invoice(number=None), "csv") == "draft-0b7c2f0e.csv"
