"""An invoice's documents: the PDF a client receives, a plain CSV of its lines, and the
QuickBooks invoice import CSV. Each is made from the invoice's view (domain.invoice_view: the
invoice as stored, its lines and names copied onto it when it was drafted), never from live
data, so a document printed twice is the same document.

The PDF is WeasyPrint (HTML and CSS through Pango and HarfBuzz, which shape Khmer and keep the
text extractable). The font is Noto (Debian's fonts-noto-core, which the Makefile installs):
Noto Sans for Latin scripts and Noto Sans Khmer for Khmer. Every piece of text in the HTML is
escaped, and the renderer fetches nothing (no images, no style sheets, no URLs at all): a name
like `<img src="http://...">` is printed as typed, never loaded.

Every CSV cell goes through chassis.exports (the formula neutraliser).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

from chassis.exports import csv_bytes
from services.billing.invoices import rules

logger = logging.getLogger(__name__)
T = TypeVar("T")

PDF_TYPE = "application/pdf"
CSV_TYPE = "text/csv"

CSV_HEADER = (
    "Invoice number",
    "Status",
    "Bill to",
    "Period start",
    "Period end",
    "Service date",
    "Worker",
    "Job type",
    "Description",
    "Hours",
    "Rate",
    "Base amount",
    "Premiums billed",
    "Amount",
    "EVV service type",
    "EVV recipient",
    "EVV location",
    "EVV provider",
    "EVV begins",
    "EVV ends",
)

# The QuickBooks invoice import's columns, in the order ../shared/DOMAIN.md gives them.
QUICKBOOKS_HEADER = (
    "Invoice number",
    "Customer",
    "Invoice date",
    "Due date",
    "Item",
    "Quantity",
    "Rate",
    "Amount",
    "Service date",
)


def _us_date(value: date | None) -> str:
    """QuickBooks (US) reads dates as MM/DD/YYYY."""
    return "" if value is None else value.strftime("%m/%d/%Y")


def _local(value: datetime | None, zone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _issued_on(invoice: dict[str, Any]) -> date | None:
    issued_at = invoice.get("issued_at")
    if issued_at is None:
        return None
    return issued_at.astimezone(ZoneInfo(invoice["timezone"])).date()


def _evv_cells(line: dict[str, Any], zone: str) -> list[Any]:
    evv = line.get("evv")
    if not evv:
        return ["", "", "", "", "", ""]
    return [
        evv.get("service_type", ""),
        evv.get("recipient", ""),
        f"{evv['latitude']:.6f},{evv['longitude']:.6f}" if "latitude" in evv else "",
        evv.get("provider", ""),
        _local(_when(evv.get("begins_at")), zone),
        _local(_when(evv.get("ends_at")), zone),
    ]


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _hours(line: dict[str, Any]) -> str:
    return "" if line.get("minutes") is None else rules.hours_text(line["minutes"])


def _rate(line: dict[str, Any]) -> str:
    return "" if line.get("rate_cents") is None else rules.money_text(line["rate_cents"])


def invoice_csv(invoice: dict[str, Any]) -> bytes:
    """A row per line, with the invoice's number, the money in dollars and, where the client
    needs them, the six EVV elements."""
    zone = invoice["timezone"]
    rows = [
        [
            invoice.get("number") or "",
            invoice["status"],
            invoice["bill_to_name"],
            invoice["period_start"],
            invoice["period_end"],
            line.get("service_date"),
            line.get("worker_name") or "",
            line.get("job_type_name") or "",
            line["description"],
            _hours(line),
            _rate(line),
            rules.money_text(line["base_cents"]),
            rules.money_text(line["premium_cents"]),
            rules.money_text(line["amount_cents"]),
            *_evv_cells(line, zone),
        ]
        for line in invoice["lines"]
    ]
    return csv_bytes(CSV_HEADER, rows)


def quickbooks_rows(invoice: dict[str, Any]) -> list[list[Any]]:
    """QuickBooks rows: a row per line (hours × rate), and a row of its own for premiums billed
    on a line, so that every row's amount is its quantity × rate as QuickBooks expects (the
    amount stays the exact figure: a quantity is printed to two places)."""
    number = invoice.get("number") or ""
    customer = invoice["bill_to_name"]
    issued = _us_date(_issued_on(invoice))
    due = _us_date(invoice.get("due_on"))
    rows: list[list[Any]] = []
    for line in invoice["lines"]:
        served = _us_date(line.get("service_date"))
        item = line.get("job_type_name") or line["description"]
        if line.get("minutes") is None:
            quantity, rate = "1", rules.money_text(line["base_cents"])
        else:
            quantity, rate = _hours(line), _rate(line)
        base = rules.money_text(line["base_cents"])
        rows.append([number, customer, issued, due, item, quantity, rate, base, served])
        if line["premium_cents"]:
            premium = rules.money_text(line["premium_cents"])
            rows.append(
                [number, customer, issued, due, f"{item} (premiums)", "1", premium, premium, served]
            )
    return rows


def quickbooks_csv(invoices: Iterable[dict[str, Any]]) -> bytes:
    """The QuickBooks invoice import file for one or more issued invoices."""
    rows: list[list[Any]] = []
    for invoice in invoices:
        rows.extend(quickbooks_rows(invoice))
    return csv_bytes(QUICKBOOKS_HEADER, rows)


_STYLE = """
@page { size: Letter; margin: 18mm 14mm; }
body { font-family: "Noto Sans", "Noto Sans Khmer", sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm 0; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 1.2mm 1.5mm; border-bottom: 0.3pt solid #bbb;
         vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; }
.evv td { font-size: 8pt; color: #444; border-bottom: 0.3pt solid #ddd; }
.head td { border: none; padding: 0 1.5mm 1mm 0; }
.total td { font-weight: bold; border-bottom: none; }
.void { color: #a00; font-weight: bold; font-size: 13pt; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def invoice_html(invoice: dict[str, Any]) -> str:
    """The invoice as an HTML page (every value escaped)."""
    zone = invoice["timezone"]
    number = invoice.get("number") or "DRAFT"
    title = "Licence invoice" if invoice["kind"] == rules.LICENCE else "Invoice"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{_e(title)} {_e(number)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)} {_e(number)}</h1>",
    ]
    if invoice["status"] == rules.VOID:
        parts.append(f"<p class='void'>VOID: {_e(invoice.get('void_reason'))}</p>")
    head = [
        ("From", invoice["issuer_name"]),
        ("Bill to", invoice["bill_to_name"]),
        ("Period", f"{invoice['period_start']} to {invoice['period_end']}"),
        ("Status", invoice["status"]),
        ("Issued", _issued_on(invoice) or ""),
        ("Due", invoice.get("due_on") or ""),
    ]
    if invoice.get("replaces_number"):
        head.append(("Replaces", invoice["replaces_number"]))
    parts.append("<table class='head'>")
    parts.extend(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in head)
    parts.append("</table><br>")
    parts.append(
        "<table><thead><tr><th>Date</th><th>Worker</th><th>Job type / item</th>"
        "<th class='n'>Hours</th><th class='n'>Rate</th><th class='n'>Premiums</th>"
        "<th class='n'>Amount</th></tr></thead><tbody>"
    )
    for line in invoice["lines"]:
        item = line.get("job_type_name") or line["description"]
        parts.append(
            f"<tr><td>{_e(line.get('service_date') or '')}</td>"
            f"<td>{_e(line.get('worker_name') or '')}</td><td>{_e(item)}</td>"
            f"<td class='n'>{_e(_hours(line))}</td><td class='n'>{_e(_rate(line))}</td>"
            f"<td class='n'>{_e(rules.money_text(line['premium_cents']))}</td>"
            f"<td class='n'>{_e(rules.money_text(line['amount_cents']))}</td></tr>"
        )
        if line.get("job_type_name") and line["description"] != line["job_type_name"]:
            described = _e(line["description"])
            parts.append(f"<tr class='evv'><td></td><td colspan='6'>{described}</td></tr>")
        if line.get("evv"):
            cells = _evv_cells(line, zone)
            parts.append(
                "<tr class='evv'><td></td><td colspan='6'>EVV: service "
                f"{_e(cells[0])}; recipient {_e(cells[1])}; location {_e(cells[2])}; "
                f"provider {_e(cells[3])}; {_e(cells[4])} to {_e(cells[5])}</td></tr>"
            )
    parts.append(
        f"<tr class='total'><td colspan='6'>Total (USD)</td>"
        f"<td class='n'>{_e(rules.money_text(invoice['total_cents']))}</td></tr>"
    )
    parts.append("</tbody></table></body></html>")
    return "".join(parts)


def _render_pdf(page: str) -> bytes:
    import weasyprint  # imported when first needed: it loads Pango and the fonts

    # No protocol is allowed: the page loads nothing from anywhere (no file, no URL).
    fetch_nothing = weasyprint.urls.URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=page, url_fetcher=fetch_nothing).write_pdf()


def _off_the_hub(work: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound `work` in an OS thread when eventlet runs the process (a service), so the
    service's other requests are not held up while a PDF is made; directly otherwise."""
    from eventlet import patcher, tpool

    if patcher.is_monkey_patched("thread"):
        return cast(T, tpool.execute(work, *args))
    return work(*args)


def invoice_pdf(invoice: dict[str, Any]) -> bytes:
    """The invoice as a PDF (text kept as text: a PDF reader extracts the names). Most of its
    second goes to subsetting the fonts (fontTools), which keeps the file small (~15 KB rather
    than ~600 KB with whole fonts)."""
    return _off_the_hub(_render_pdf, invoice_html(invoice))


def warm_up() -> None:
    """Load WeasyPrint, Pango and the fonts (Latin and Khmer) once: a few seconds the first
    invoice PDF would otherwise pay."""
    _render_pdf(f"<p style='font-family: Noto Sans, Noto Sans Khmer'>{_e('Warm សុខ José')}</p>")


class PdfWarmUp(DependencyProvider):
    """Warms the PDF renderer up in an OS thread when the service starts (see warm_up); a
    failure is logged and changes nothing else (the first PDF then pays the cost)."""

    def start(self) -> None:
        self.container.spawn_managed_thread(self._warm_up)

    def _warm_up(self) -> None:
        try:
            _off_the_hub(warm_up)
        except Exception:  # noqa: BLE001 - a warm-up must never stop the service
            logger.warning("The invoice PDF renderer could not be warmed up.", exc_info=True)


def filename(invoice: dict[str, Any], extension: str) -> str:
    """`INV-000042.pdf`; a draft is `draft-<first 8 of its id>.pdf`."""
    stem = invoice.get("number") or f"draft-{invoice['id'][:8]}"
    return f"{stem}.{extension}"
