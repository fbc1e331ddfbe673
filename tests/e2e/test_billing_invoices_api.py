"""Invoices over HTTP on the whole running platform.

A CBO with the EVV licence and two clients that chose EVV: two workers (one with a Khmer name,
one with a Spanish one) clock in and out of shifts, EVV approves their lines with no human,
billing learns them from the events; finance staff run the week's invoices, issue, void and
replace, pay; the PDF is read back with a PDF reader. Then who sees what, odd input, and the
operator's licence invoice. As in test_evv_api, bookings start in the future and a punch is
judged against the schedule, so each visit's schedule is moved to just before now in EVV's
database (times only); the test also reads billing's database to wait until billing has heard
of every line (no route shows billing's read model).
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from chassis.db import make_engine
from services.billing.licences import rules as licence_rules
from tests.e2e.market import (
    LB,
    a_cbo,
    a_client,
    a_job_type,
    an_approved_worker,
    days_ahead,
    placed,
)
from tests.e2e.test_evv_api import evv_db, now_minute, punch
from tests.e2e.tokens import mint_token, staff_token
from tests.waiting import wait_for

KHMER = "សុខ សុភា"
SPANISH = "José Núñez"
RATE = 2800  # the job type's bill rate, cents an hour

_engines: dict = {}


def billing_db(platform):
    url = platform.settings.database_url("billing")
    return _engines.get(url) or _engines.setdefault(url, make_engine(url, poolclass=NullPool))


def worked(
    api, platform, m: dict, worker: dict, client: dict, *, day: int, ends_ago: int, hours: int
) -> str:
    """A shift the worker worked for the client, ending `ends_ago` hours before now: its visit.
    (Ending now, the schedule has not passed when the punches come: EVV's sweep would find a
    shift that ended hours ago without its clock-out and raise a must-fix exception.)"""
    made = placed(
        api,
        m["owner"],
        worker,
        client_id=client["id"],
        site_id=client["site"],
        job_type_id=m["job_type"]["id"],
        on=days_ahead(day),
    )
    visit_id = made["assignment_id"]

    def known():
        found = api("GET", f"/api/v1/visits/{visit_id}", worker["token"])
        return found.status_code == 200 and found.json()["site"] is not None

    wait_for(known, what="EVV to learn the confirmed shift")
    start = now_minute() - timedelta(hours=ends_ago + hours) + timedelta(minutes=1)
    with evv_db(platform).begin() as conn:
        conn.execute(
            text("UPDATE visits SET starts_at = :s, ends_at = :e WHERE id = :i"),
            {"s": start, "e": start + timedelta(hours=hours), "i": visit_id},
        )
    site = api("GET", f"/api/v1/sites/{client['site']}", m["owner"]).json()
    where = (site["latitude"], site["longitude"])
    assert punch(api, worker, visit_id, at=start, where=where).status_code == 201
    out = punch(api, worker, visit_id, "clock_out", at=start + timedelta(hours=hours), where=where)
    assert out.status_code == 201, out.text
    return visit_id


def hours_to_end_ago(longest: int) -> int:
    """How many hours before now the visits end so that all of them, the longest `longest`
    hours, fall in one pay week (Monday 00:00 in the CBO's zone): now, unless the longest would
    start in last week; then just before this week began."""
    local = datetime.now(LB)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(), LB)
    # A margin for the minutes the fixture takes between its three visits.
    if local - timedelta(hours=longest, minutes=15) >= monday:
        return 0
    return math.ceil((local - monday) / timedelta(hours=1))


@pytest.fixture(scope="module")
def week(api, operator_token, platform, smtp):
    """The CBO's week: three approved lines billing has priced; the weeks they fall in."""
    m = a_cbo(api, operator_token, platform, "bill")
    granted = api(
        "POST",
        f"/api/v1/platform/cbos/{m['id']}/licences",
        operator_token,
        json={
            "feature": "evv",
            "starts_on": (datetime.now(UTC) - timedelta(days=7)).date().isoformat(),
        },
    )
    assert granted.status_code == 201, granted.text
    # Visits may be moved to end hours ago (hours_to_end_ago): EVV's sweep must not judge them
    # no-shows or missing a clock-out in the moment between the move and the punches.
    patient = {"no_show_after_minutes": 1440, "missing_clock_out_after_minutes": 1440}
    changed = api("PATCH", "/api/v1/evv/settings", m["owner"], json=patient)
    assert changed.status_code == 200, changed.text
    m["licence_starts_on"] = date.fromisoformat(granted.json()["starts_on"])
    m["city"] = a_client(api, platform, m, f"City of Long Beach {uuid.uuid4().hex[:4]}")
    m["shore"] = a_client(api, platform, m, f"Shoreline Care {uuid.uuid4().hex[:4]}")
    for client in (m["city"], m["shore"]):
        chose = api("PUT", f"/api/v1/evv/clients/{client['id']}", m["owner"], json={"evv": True})
        assert chose.status_code == 200, chose.text
    m["job_type"] = a_job_type(
        api, m["owner"], f"Home care {uuid.uuid4().hex[:4]}", bill_rate_cents=RATE
    )
    suffix = uuid.uuid4().hex[:6]
    m["sokha"] = an_approved_worker(api, smtp, platform, m, KHMER, email=f"sokha-{suffix}@ex.org")
    m["jose"] = an_approved_worker(api, smtp, platform, m, SPANISH, email=f"jose-{suffix}@ex.org")
    m["finance"] = staff_token(platform, m["id"], ["finance"])
    # The shore client's invoices carry the six EVV elements.
    set_to = {"period": "week", "evv_elements": True, "bill_premiums": True, "terms_days": 15}
    settings = api(
        "PUT", f"/api/v1/clients/{m['shore']['id']}/invoicing", m["finance"], json=set_to
    )
    assert settings.status_code == 200, settings.text
    ago = hours_to_end_ago(4)
    visits = {
        worked(api, platform, m, m["sokha"], m["city"], day=2, ends_ago=ago, hours=4): "city",
        worked(api, platform, m, m["jose"], m["city"], day=3, ends_ago=ago, hours=3): "city",
        worked(api, platform, m, m["sokha"], m["shore"], day=4, ends_ago=ago, hours=2): "shore",
    }
    query = text(
        "SELECT l.visit_id, l.week_start, l.worked_minutes FROM line_records l"
        " JOIN shift_records s ON s.shift_id = l.shift_id"
        " JOIN worker_records w ON w.worker_id = l.worker_id"
        " WHERE l.status = 'approved' AND l.visit_id = ANY(:ids)"
    )

    def billing_knows_every_line():
        with billing_db(platform).connect() as conn:
            rows = conn.execute(query, {"ids": list(visits)}).all()
        return rows if len(rows) == len(visits) else None

    rows = wait_for(billing_knows_every_line, timeout=30, what="billing to learn the lines")
    m["weeks"] = sorted({row.week_start for row in rows})
    assert len(m["weeks"]) == 1, m["weeks"]
    m["expected"] = {"city": 0, "shore": 0}
    for row in rows:
        m["expected"][visits[row.visit_id]] += row.worked_minutes
    assert m["expected"] == {"city": 7 * 60, "shore": 2 * 60}
    return m


def run_invoices(api, token: str, week_start: date) -> dict:
    started = api(
        "POST",
        "/api/v1/invoice-runs",
        token,
        json={"period": "week", "period_start": week_start.isoformat()},
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    def finished():
        found = api("GET", f"/api/v1/invoice-runs/{run_id}", token)
        assert found.status_code == 200, found.text
        return found.json() if found.json()["status"] == "succeeded" else None

    return wait_for(finished, what="the invoice run")


def invoices(api, token: str, **params) -> list[dict]:
    page = api("GET", "/api/v1/invoices", token, params={"per_page": 200, **params})
    assert page.status_code == 200, page.text
    return page.json()["items"]


def act(api, token: str, invoice_id: str, action: str, body: dict | None = None):
    return api("POST", f"/api/v1/invoices/{invoice_id}/{action}", token, json=body or {})


@pytest.fixture(scope="module")
def issued(api, week):
    """The week's drafts made, issued, one voided and replaced, one paid."""
    m = week
    for week_start in m["weeks"]:
        run = run_invoices(api, m["finance"], week_start)
        assert run["unpriced_lines"] == 0
    drafts = invoices(api, m["finance"], status="draft", kind="client")
    by_client = {}
    for draft in drafts:
        by_client.setdefault(draft["client_id"], []).append(draft)
    totals = {
        name: sum(d["total_cents"] for d in by_client[m[name]["id"]]) for name in ("city", "shore")
    }
    # Hours × the bill rate, to the cent.
    assert totals == {name: m["expected"][name] * RATE // 60 for name in ("city", "shore")}
    numbers = []
    city = by_client[m["city"]["id"]][0]
    shore = by_client[m["shore"]["id"]][0]
    for draft in (city, shore):
        done = act(api, m["finance"], draft["id"], "issue")
        assert done.status_code == 200, done.text
        numbers.append(done.json()["number"])
    voided = act(api, m["finance"], city["id"], "void", {"reason": "Wrong purchase order"})
    assert voided.status_code == 200, voided.text
    replacement = voided.json()["replacement"]
    assert voided.json()["voided"]["status"] == "void"
    assert replacement["status"] == "draft" and replacement["replaces_id"] == city["id"]
    again = act(api, m["finance"], replacement["id"], "issue")
    assert again.status_code == 200, again.text
    numbers.append(again.json()["number"])
    paid = act(api, m["finance"], shore["id"], "pay", {"reference": "ACH 4411"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    return {
        "numbers": numbers,
        "voided": city,
        "city": again.json(),
        "shore": paid.json(),
    }


def test_two_clients_invoices_match_the_bill_rates_and_numbers_have_no_gaps(api, week, issued):
    m = week
    # The CBO's first invoices: 1 and 2 issued, 1 voided and replaced by 3.
    assert issued["numbers"] == ["INV-000001", "INV-000002", "INV-000003"]
    city = issued["city"]
    assert (city["replaces_number"], city["status"]) == ("INV-000001", "issued")
    assert city["total_cents"] == m["expected"]["city"] * RATE // 60
    assert {line["worker_name"] for line in city["lines"]} == {KHMER, SPANISH}
    assert all(line["rate_cents"] == RATE for line in city["lines"])
    assert all(line["evv"] is None for line in city["lines"])
    shore = issued["shore"]
    (line,) = shore["lines"]
    assert (line["worker_name"], line["minutes"], line["amount_cents"]) == (KHMER, 120, 5600)
    assert line["evv"]["provider"] == KHMER and line["evv"]["recipient"] == m["shore"]["name"]
    assert shore["due_on"] is not None and shore["payment_reference"] == "ACH 4411"
    # Voided keeps its number; a voided invoice cannot be paid.
    voided = api("GET", f"/api/v1/invoices/{issued['voided']['id']}", m["finance"]).json()
    assert (voided["number"], voided["status"]) == ("INV-000001", "void")
    assert act(api, m["finance"], voided["id"], "pay").status_code == 409
    assert act(api, m["finance"], city["id"], "issue").status_code == 409


def test_the_pdf_s_khmer_name_is_text_a_pdf_reader_extracts(api, week, issued):
    got = api("GET", f"/api/v1/invoices/{issued['city']['id']}/pdf", week["finance"])
    assert got.status_code == 200, got.text
    assert got.headers["Content-Type"] == "application/pdf"
    assert "INV-000003.pdf" in got.headers["Content-Disposition"]
    extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(got.content)).pages)
    assert KHMER in extracted and SPANISH in extracted and "INV-000003" in extracted


def test_the_csv_and_quickbooks_files(api, week, issued):
    m = week
    shore = api("GET", f"/api/v1/invoices/{issued['shore']['id']}/csv", m["finance"])
    assert shore.status_code == 200 and shore.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(shore.content.decode("utf-8-sig"))))
    assert [(r["Worker"], r["Hours"], r["Amount"]) for r in rows] == [(KHMER, "2.00", "56.00")]
    assert rows[0]["EVV provider"] == KHMER and rows[0]["EVV location"]
    books = api("GET", f"/api/v1/invoices/{issued['city']['id']}/quickbooks", m["finance"])
    assert books.status_code == 200
    rows = list(csv.reader(io.StringIO(books.content.decode("utf-8-sig"))))
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
    assert {row[0] for row in rows[1:]} == {"INV-000003"}
    assert sum(round(float(row[7]) * 100) for row in rows[1:]) == issued["city"]["total_cents"]
    # A period's issued and paid invoices in one file for the accountant (not the void one).
    # Each period's file holds exactly that period's invoices.
    periods: dict[str, set[str]] = {}
    for invoice in (issued["shore"], issued["city"]):
        periods.setdefault(invoice["period_start"], set()).add(invoice["number"])
    assert set().union(*periods.values()) == {"INV-000002", "INV-000003"}
    for period_start, numbers in periods.items():
        week_file = api(
            "GET",
            "/api/v1/invoice-exports/quickbooks",
            m["finance"],
            params={"period_start": period_start},
        )
        assert week_file.status_code == 200, week_file.text
        rows = list(csv.reader(io.StringIO(week_file.content.decode("utf-8-sig"))))
        assert {row[0] for row in rows[1:]} == numbers
    refused = api(
        "GET",
        "/api/v1/invoice-exports/quickbooks",
        m["city"]["user"],
        params={"period_start": issued["city"]["period_start"]},
    )
    assert refused.status_code == 403


def test_who_sees_which_invoice(api, platform, operator_token, week, issued):
    m = week
    city, shore = issued["city"], issued["shore"]
    # A client's user sees their own client's issued invoices (not the replacement's draft
    # before it was issued, never another client's), reads their PDF and changes nothing.
    city_user = m["city"]["user"]
    seen = {i["id"] for i in invoices(api, city_user)}
    assert seen == {city["id"], issued["voided"]["id"]}
    assert api("GET", f"/api/v1/invoices/{city['id']}/pdf", city_user).status_code == 200
    for path in (f"/api/v1/invoices/{shore['id']}", f"/api/v1/invoices/{shore['id']}/pdf"):
        refused = api("GET", path, city_user)
        assert refused.status_code == 404 and m["shore"]["name"] not in refused.text
    assert act(api, city_user, city["id"], "pay").status_code in (403, 404)
    assert act(api, city_user, city["id"], "void", {"reason": "x"}).status_code in (403, 404)
    # The shore client's user sees only theirs.
    assert {i["id"] for i in invoices(api, m["shore"]["user"])} == {shore["id"]}
    # Another CBO's finance staff: nothing, and no trace.
    other = a_cbo(api, operator_token, platform, "bill-other")
    other_finance = staff_token(platform, other["id"], ["finance"])
    assert invoices(api, other_finance) == []
    for invoice in (city, shore):
        for suffix in ("", "/pdf", "/csv", "/quickbooks"):
            got = api("GET", f"/api/v1/invoices/{invoice['id']}{suffix}", other_finance)
            assert got.status_code == 404 and KHMER not in got.text
        assert act(api, other_finance, invoice["id"], "pay").status_code == 404
    assert (
        api("GET", f"/api/v1/clients/{m['city']['id']}/invoicing", other_finance).status_code == 404
    )
    # A job seeker and staff without payroll.run are refused; the operator sees no client
    # invoice.
    for token in (m["sokha"]["token"], staff_token(platform, m["id"], ["scheduler"])):
        assert api("GET", "/api/v1/invoices", token).status_code == 403
        assert api("GET", f"/api/v1/invoices/{city['id']}", token).status_code == 403
        assert act(api, token, city["id"], "void", {"reason": "x"}).status_code == 403
    assert api("GET", f"/api/v1/invoices/{city['id']}", operator_token).status_code == 404
    # A client's user whose token claims payroll.run still cannot pay.
    forged = mint_token(
        platform,
        tenant_id=m["id"],
        kind="client",
        roles=["client"],
        perms=["payroll.run", "self.book"],
        cid=m["city"]["id"],
    )
    assert act(api, forged, city["id"], "pay").status_code == 403


def test_odd_input_is_refused_per_field(api, week, issued):
    m = week
    f = m["finance"]
    monday = m["weeks"][0]
    cases = [
        (
            {"period": "week", "period_start": (monday + timedelta(days=1)).isoformat()},
            "period_start",
        ),
        ({"period": "fortnight", "period_start": monday.isoformat()}, "period"),
        ({"period": "week", "period_start": "2026-13-01"}, "period_start"),
        ({"period": "week"}, "period_start"),
        ({"period": ["week"], "period_start": monday.isoformat()}, "period"),
        ({"period": "week\u0000", "period_start": monday.isoformat()}, "period"),
    ]
    for body, field in cases:
        refused = api("POST", "/api/v1/invoice-runs", f, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.json()["error"]["fields"], (body, refused.text)
    shore = issued["shore"]["id"]
    for body, field in [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "ok", "replace": "perhaps"}, "replace"),
    ]:
        refused = act(api, f, shore, "void", body)
        assert refused.status_code == 422 and field in refused.json()["error"]["fields"], body
    city = issued["city"]["id"]
    for body, field in [
        ({"paid_at": "2026-12-01T09:00:00"}, "paid_at"),  # no time zone
        ({"reference": "x" * 201}, "reference"),
        ({"paid_at": 10**20}, "paid_at"),
    ]:
        refused = act(api, f, city, "pay", body)
        assert refused.status_code == 422 and field in refused.json()["error"]["fields"], body
    for body, field in [
        (
            {"period": "month", "evv_elements": True, "bill_premiums": True, "terms_days": 10**12},
            "terms_days",
        ),
        (
            {
                "period": "month",
                "evv_elements": "yes please",
                "bill_premiums": True,
                "terms_days": 30,
            },
            "evv_elements",
        ),
        ({"period": "month"}, "terms_days"),
    ]:
        refused = api("PUT", f"/api/v1/clients/{m['city']['id']}/invoicing", f, json=body)
        assert refused.status_code == 422 and field in refused.json()["error"]["fields"], body
    for bad in ("x" * 37, "nope", uuid.uuid4().hex):
        assert api("GET", f"/api/v1/invoices/{bad}", f).status_code == 404
    # A NUL byte in the path is refused at the gateway's door.
    assert api("GET", "/api/v1/invoices/%00", f).status_code == 422
    assert api("GET", "/api/v1/invoices", f, params={"per_page": 10**9}).status_code == 422
    assert api("GET", "/api/v1/invoices", f, params={"status": "lost"}).status_code == 422
    # Nothing changed: still two issued-or-paid invoices and a void one.
    states = sorted(i["status"] for i in invoices(api, f, kind="client"))
    assert states == ["issued", "paid", "void"]


def test_the_operator_charges_each_cbo_its_licence_prorated(api, operator_token, week):
    m = week
    priced = api(
        "PUT", "/api/v1/platform/licence-prices/evv", operator_token, json={"monthly_cents": 31000}
    )
    assert priced.status_code == 200, priced.text
    assert (
        api(
            "PUT",
            "/api/v1/platform/licence-prices/teleport",
            operator_token,
            json={"monthly_cents": 1},
        ).status_code
        == 404
    )
    assert (
        api(
            "PUT", "/api/v1/platform/licence-prices/evv", operator_token, json={"monthly_cents": -1}
        ).status_code
        == 422
    )
    assert (
        api(
            "PUT", "/api/v1/platform/licence-prices/evv", m["finance"], json={"monthly_cents": 1}
        ).status_code
        == 403
    )
    month = m["licence_starts_on"].replace(day=1)
    bad = api("POST", "/api/v1/platform/licence-charges", operator_token, json={"month": "2026-1"})
    assert bad.status_code == 422 and "month" in bad.json()["error"]["fields"]
    charged = api(
        "POST", "/api/v1/platform/licence-charges", operator_token, json={"month": f"{month:%Y-%m}"}
    )
    assert charged.status_code == 200, charged.text
    (draft,) = [d for d in charged.json()["drafts"] if d["tenant_id"] == m["id"]]
    first, last = licence_rules.month_bounds(month)
    days = licence_rules.covered_days([(m["licence_starts_on"], None)], month)
    assert draft["total_cents"] == licence_rules.prorated_cents(31000, days, last.day)
    assert (draft["kind"], draft["period_start"]) == ("licence", first.isoformat())
    # The CBO's finance staff see it but only the operator issues it.
    assert draft["id"] in {i["id"] for i in invoices(api, m["finance"], kind="licence")}
    assert act(api, m["finance"], draft["id"], "issue").status_code == 403
    issued = act(api, operator_token, draft["id"], "issue")
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"].startswith("LIC-")
    pdf = api("GET", f"/api/v1/invoices/{draft['id']}/pdf", m["finance"])
    assert pdf.status_code == 200
    # A client's user never sees the CBO's licence invoice.
    assert api("GET", f"/api/v1/invoices/{draft['id']}", m["city"]["user"]).status_code == 404
    # Charged again: nothing more for this CBO.
    again = api(
        "POST", "/api/v1/platform/licence-charges", operator_token, json={"month": f"{month:%Y-%m}"}
    )
    assert [d for d in again.json()["drafts"] if d["tenant_id"] == m["id"]] == []
