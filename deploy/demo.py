"""Demo data: loads a demo city into a running platform through its public API only.

    make demo        (with `make run` going in another terminal)
    python -m deploy.demo [--url http://127.0.0.1:8000] [--var var]

As the platform operator (var/operator.txt) it applies for, approves and licenses two Long Beach
CBOs, records their MOUs, and takes each owner's invitation from the dev mail sink (var/mail/*.eml)
to set a password. Each owner then sets the CBO's branding, words, languages, login-box sites and
logo, worker sources, clients, a custom role and a staff member; people register as job seekers on
the CBO's site or are registered by staff, upload ID documents that staff review, and some are
approved. Finally the two CBOs form a partnership, and Harbor Works' clients get rebooking
preferences: one declined shift's replacement cascade is left in progress, another exhausted;
and two of its workers are booked for shifts starting a few minutes after the demo runs and
clock in from the phone, one at the client's door, one 2 km away (an EVV exception).

Running it again adds only what is missing. The passwords it sets are generated at run time and
kept in <var>/demo-credentials.json (never in the repository); an account whose password is not
there gets a fresh link by email (a reset, or a new invitation) from the mail sink.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import secrets
import struct
import sys
import time
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as time_of
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
CITY_TZ = ZoneInfo("America/Los_Angeles")
CREDENTIALS_FILE = "demo-credentials.json"
DOCUMENT_NAMES = {"photo_id": "photo ID", "work_authorization": "work authorization"}
LINK = re.compile(r"/(?P<page>accept-invitation|confirm-email|reset-password)\?(?P<query>\S+)")


class DemoError(RuntimeError):
    pass


class ApiError(DemoError):
    def __init__(self, method: str, path: str, status: int, body: dict) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {path} failed ({status}): {json.dumps(body)}")

    @property
    def fields(self) -> dict:
        return (self.body.get("error") or {}).get("fields") or {}


# -- small generated files -----------------------------------------------------------------------


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """A real RGB PNG image, `pixel(x, y)` giving each colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\0" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def logo_png(primary: str, secondary: str) -> bytes:
    """A 96x96 logo: a disc of the secondary colour (the sun) over waves of the primary."""
    sky, sea = rgb(secondary), rgb(primary)
    return png(
        96,
        96,
        lambda x, y: (
            sky
            if (x - 48) ** 2 + (y - 40) ** 2 < 22**2
            else (sea if y > 56 + 4 * ((x // 12) % 2) else (255, 255, 255))
        ),
    )


def id_photo_png(shade: int) -> bytes:
    """A 60x80 stand-in for an ID photo: a grey head and shoulders on a pale background."""

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        head = (x - 30) ** 2 + (y - 30) ** 2 < 14**2
        shoulders = y > 52 and abs(x - 30) < 26 - (80 - y) // 3
        return (shade, shade, shade) if head or shoulders else (226, 236, 245)

    return png(60, 80, pixel)


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (ASCII) in Helvetica."""
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    stream = "BT /F1 13 Tf 72 740 Td 20 TL " + " ".join(f"({t}) '" for t in escaped) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    table = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += (
        f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n{table}"
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{len(out)}\n%%EOF\n"
    ).encode("latin-1")
    return out


def new_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters; identity asks for at least 12


# -- the demo city -------------------------------------------------------------------------------


def terms(year: int) -> list[dict[str, str]]:
    """A college's spring and fall terms this year and next (the cap applies only in term)."""
    found = []
    for y in (year, year + 1):
        found.append({"starts_on": f"{y}-01-26", "ends_on": f"{y}-06-05"})
        found.append({"starts_on": f"{y}-08-24", "ends_on": f"{y}-12-12"})
    return found


WEEKDAY_MORNINGS = {
    day: [{"start": "08:00", "end": "13:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}
EVENINGS_AND_WEEKENDS = {
    "tuesday": [{"start": "17:00", "end": "22:00"}],
    "thursday": [{"start": "17:00", "end": "22:00"}],
    "saturday": [{"start": "09:00", "end": "18:00"}],
    "sunday": [{"start": "10:00", "end": "16:00"}],
}


COLLEGE = "Long Beach City College"
YOUTH_PROGRAM = "Cambodia Town Youth Program"
REENTRY = "Harbor Area Reentry Network"


def people(rows: list[tuple], first_phone: int) -> list[dict[str, Any]]:
    """Job seekers from rows of (name, preferred language, home ZIP, skills, registered by
    "self" or "staff", worker source, documents, job types). Documents: None, "verified" (both
    required ones; the person is then approved), "pending" (photo ID verified, work
    authorization waiting) or "rejected" (photo ID rejected)."""
    found = []
    for number, (name, language, zip_code, skills, by, source, documents, job_types) in enumerate(
        rows, first_phone
    ):
        student = source in (COLLEGE, YOUTH_PROGRAM)
        found.append(
            {
                "name": name,
                "email": name.lower().replace(" ", ".") + "@example.com",
                "phone": f"(562) 555-{number:04d}",
                "preferred_language": language,
                "languages": list(dict.fromkeys([language, "en"])),
                "home_area": zip_code,
                "skills": [skill.strip() for skill in skills.split(",")],
                "by": by,
                "source": source,
                "documents": documents,
                "job_types": job_types.split(",") if job_types else [],
                "availability": {
                    "weekly": EVENINGS_AND_WEEKENDS if student else WEEKDAY_MORNINGS,
                    "exceptions": [],
                },
            }
        )
    return found


# Job seekers: name, preferred language, home ZIP, skills, registered by, worker source,
# documents, job types (see `people`).
HARBOR_PEOPLE = [
    ("Maria Lopez", "es", "90813", "home care, cooking", "self", None, "verified", "home_care"),
    ("Sokha Chan", "km", "90804", "event setup", "self", COLLEGE, "verified", "event_staff"),
    ("Jamal Carter", "en", "90805", "warehouse, forklift", "staff", None, "verified", "warehouse"),
    ("Lupe Hernandez", "es", "90806", "custodial", "staff", None, "verified", "custodial"),
    ("Dara Keo", "km", "90813", "food service", "self", COLLEGE, "pending", None),
    ("Tyrone Jackson", "en", "90810", "landscaping", "staff", REENTRY, "rejected", None),
    ("Ana Ruiz", "es", "90802", "childcare", "self", None, None, None),
    ("Vanna Sok", "km", "90814", "home care", "staff", None, None, None),
]
EASTSIDE_PEOPLE = [
    ("Chenda Pich", "km", "90804", "home care, cooking", "self", None, "verified", "home_care"),
    ("Miguel Torres", "es", "90804", "moving, warehouse", "staff", None, "verified", "warehouse"),
    ("Rithy Nhem", "km", "90813", "event setup", "self", YOUTH_PROGRAM, "pending", None),
    ("Grace Kim", "en", "90815", "tutoring", "staff", None, None, None),
]

# The market: job types (keys match the per-job-type approvals above), and for Harbor Works a
# booking in each state. (key, name, pay, bill cents an hour, required skills)
JOB_TYPES = [
    ("home_care", "Home care aide", 2200, 3100, []),
    ("event_staff", "Event staff", 1900, 2700, []),
    ("warehouse", "Warehouse associate", 2100, 2900, ["warehouse"]),
    ("custodial", "Custodian", 1950, 2750, []),
]
# A client-exclusive job type: its client, its requirements and a fixed pay rate.
EXCLUSIVE_JOB_TYPE = {
    "key": "shoreline-server",
    "name": "Shoreline catering server",
    "client": "Shoreline Village Catering Co.",
    "requirements": "California food handler card; black shirt and trousers.",
    "pay_rate_cents": 2350,
    "bill_rate_cents": 3300,
}
# Harbor Works' bookings: (marker, client, job type, weekday offset from next Monday, start,
# end, recurrence, positions, fill mode, named worker, what happens next).
HARBOR_BOOKINGS = [
    (
        "visit",
        "The Nguyen Family",
        "home_care",
        0,
        "09:00",
        "12:00",
        None,
        1,
        "named",
        "Maria Lopez",
        "offered",
    ),
    (
        "inventory",
        "City of Long Beach",
        "warehouse",
        1,
        "08:30",
        "12:30",
        None,
        1,
        "named",
        "Jamal Carter",
        "confirmed",
    ),
    (
        "park-cleanup",
        "City of Long Beach",
        "custodial",
        0,
        "09:00",
        "12:00",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10",
        2,
        "open",
        None,
        "open",
    ),
    (
        "setup",
        "City of Long Beach",
        "event_staff",
        5,
        "10:00",
        "14:00",
        None,
        1,
        "named",
        "Sokha Chan",
        "cancelled",
    ),
    (
        "restock",
        "City of Long Beach",
        "warehouse",
        3,
        "09:00",
        "12:00",
        None,
        1,
        "named",
        "Jamal Carter",
        "declined",
    ),
    (
        "catering",
        "Shoreline Village Catering Co.",
        "shoreline-server",
        5,
        "11:00",
        "15:00",
        None,
        1,
        "open",
        None,
        "open",
    ),
]

CBOS: list[dict[str, Any]] = [
    {
        "slug": "harbor-works",
        "name": "Harbor Works Collaborative",
        "contact": ("Dana Whitfield", "dana.whitfield@harborworks.example.org"),
        "owner": ("Marisol Vega", "marisol.vega@harborworks.example.org"),
        "director_title": "Executive Director",
        "branding": {
            "display_name": "Harbor Works",
            "colors": {
                "primary": "#0B4F6C",
                "secondary": "#F4A259",
                "accent": "#2A9D8F",
                "background": "#FFFFFF",
                "text": "#1B1B1B",
            },
            "languages": ["en", "es", "km"],
            "default_language": "en",
            "timezone": "America/Los_Angeles",
            "terminology": {
                "en": {"jobseeker": "crew member", "booking": "shift"},
                "es": {"jobseeker": "integrante", "booking": "turno", "client": "cliente"},
                "km": {"jobseeker": "សមាជិក", "booking": "វេនការងារ", "client": "អតិថិជន"},
            },
        },
        "origins": ["https://www.harborworks.example.org", "https://apply.harborworks.example.org"],
        "sources": [
            {"name": COLLEGE, "weekly_hour_cap": 14, "terms": "college"},
            {"name": REENTRY, "weekly_hour_cap": None, "terms": None},
        ],
        "clients": [
            {
                "name": "City of Long Beach",
                "kind": "city",
                "billing_contact": "Accounts Payable, Financial Management",
                "billing_email": "accounts.payable@longbeach.example.gov",
                "billing_phone": "(562) 555-0110",
                "address_line1": "411 W Ocean Blvd",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90802",
                "payment_terms_days": 45,
                "po_number": "LB-HW-0001",
            },
            {
                "name": "Shoreline Village Catering Co.",
                "kind": "business",
                "billing_contact": "Renee Castillo",
                "billing_email": "billing@shorelinecatering.example.com",
                "billing_phone": "(562) 555-0144",
                "address_line1": "401 Shoreline Village Dr",
                "address_line2": "Suite 12",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90802",
                "payment_terms_days": 30,
            },
            {
                "name": "The Nguyen Family",
                "kind": "family",
                "billing_contact": "Linh Nguyen",
                "billing_email": "linh.nguyen@example.net",
                "billing_phone": "(562) 555-0172",
                "address_line1": "1250 E 7th St",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90813",
                "payment_terms_days": 14,
            },
        ],
        "role": {
            "name": "intake",
            "description": "Registers job seekers, checks their ID documents and approves them.",
            "permissions": [
                "jobseekers.read",
                "jobseekers.manage",
                "jobseekers.approve",
                "clients.read",
            ],
        },
        "staff": ("Luis Ortega", "luis.ortega@harborworks.example.org"),
        "jobseekers": people(HARBOR_PEOPLE, first_phone=101),
    },
    {
        "slug": "eastside-jobs",
        "name": "Eastside Jobs Network",
        "contact": ("Kevin Prum", "kevin.prum@eastsidejobs.example.org"),
        "owner": ("Sophal Chhun", "sophal.chhun@eastsidejobs.example.org"),
        "director_title": "Director",
        "branding": {
            "display_name": "Eastside Jobs",
            "colors": {
                "primary": "#7A1F3D",
                "secondary": "#E9C46A",
                "accent": "#264653",
                "background": "#FFFDF7",
                "text": "#222222",
            },
            "languages": ["en", "es", "km"],
            "default_language": "en",
            "timezone": "America/Los_Angeles",
            "terminology": {
                "es": {"jobseeker": "trabajador", "booking": "turno"},
                "km": {"jobseeker": "កម្មករ", "booking": "វេនការងារ"},
            },
        },
        "origins": ["https://eastsidejobs.example.org"],
        "sources": [
            {"name": YOUTH_PROGRAM, "weekly_hour_cap": 20, "terms": None},
        ],
        "clients": [
            {
                "name": "City of Long Beach",
                "kind": "city",
                "billing_contact": "Parks, Recreation and Marine",
                "billing_email": "prm.invoices@longbeach.example.gov",
                "billing_phone": "(562) 555-0120",
                "address_line1": "2760 N Studebaker Rd",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90815",
                "payment_terms_days": 45,
                "po_number": "LB-EJ-0001",
            },
            {
                "name": "Anaheim Street Market",
                "kind": "business",
                "billing_contact": "Srey Lim",
                "billing_email": "office@anaheimstmarket.example.com",
                "billing_phone": "(562) 555-0155",
                "address_line1": "1400 E Anaheim St",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90813",
            },
            {
                "name": "The Sok Family",
                "kind": "family",
                "billing_contact": "Chantha Sok",
                "billing_email": "chantha.sok@example.net",
                "address_line1": "2100 E 10th St",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90804",
                "payment_terms_days": 14,
            },
        ],
        "role": {
            "name": "coordinator",
            "description": "Looks after job seekers and clients; cannot change settings or staff.",
            "permissions": [
                "jobseekers.read",
                "jobseekers.manage",
                "jobseekers.approve",
                "clients.read",
                "clients.manage",
            ],
        },
        "staff": ("Bopha Men", "bopha.men@eastsidejobs.example.org"),
        "jobseekers": people(EASTSIDE_PEOPLE, first_phone=109),
    },
]
PARTNERSHIP: dict[str, Any] = {
    "proposer": "harbor-works",
    "partner": "eastside-jobs",
    "shares": ["job_types", "opportunities"],
    "message": "Let's share event and home-care shifts across the harbor and Cambodia Town.",
}


# -- the pieces --------------------------------------------------------------------------------


class Api:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> Any:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(
            method, self.base + path, headers=headers, timeout=30, **kwargs
        )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": {"message": response.text}}
            raise ApiError(method, path, response.status_code, body)
        return response.json() if response.content else None


class Mailbox:
    """The dev mail sink's folder: each message the platform sends is one .eml file, named by
    the time it arrived."""

    def __init__(self, folder: Path, timeout: float) -> None:
        self.folder = folder
        self.timeout = timeout

    def mark(self) -> set[str]:
        """The messages there now; `link_for` looks only at later ones."""
        return {p.name for p in self.folder.glob("*.eml")} if self.folder.is_dir() else set()

    def link_for(self, address: str, since: set[str]) -> tuple[str, str]:
        """(page, token) of the link in the newest message to `address` that arrived after
        `since`, waiting for it to come."""
        deadline = time.monotonic() + self.timeout
        while True:
            for path in sorted(self.folder.glob("*.eml"), reverse=True):
                if path.name in since:
                    continue
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
                to = {a.lower() for _, a in getaddresses([str(message["To"] or "")])}
                if address.lower() not in to:
                    continue
                body = message.get_body(preferencelist=("plain",))
                found = LINK.search(body.get_content() if body else "")
                if found:
                    return found["page"], parse_qs(found["query"])["token"][0]
            if time.monotonic() > deadline:
                raise DemoError(
                    f"no email to {address} arrived in {self.folder} within {self.timeout:g} s. "
                    "Is the platform's mail sink running (`make run` starts it), and does "
                    "--var point at that platform's var folder?"
                )
            time.sleep(0.25)


class Credentials:
    """Passwords this script set, per CBO and email, kept in var/ between runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, slug: str, email: str) -> str | None:
        return self.saved.get(f"{slug}/{email}")

    def set(self, slug: str, email: str, password: str) -> None:
        self.saved[f"{slug}/{email}"] = password
        self.path.write_text(json.dumps(self.saved, indent=2, sort_keys=True) + "\n")
        self.path.chmod(0o600)


def wait_until_known(attempt: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """`attempt()`, again while identity answers 422 on `source_id`: it learns of a new
    worker source from tenancy's event a moment after tenancy made it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except ApiError as exc:
            if exc.status != 422 or "source_id" not in exc.fields:
                raise
            if time.monotonic() > deadline:
                raise DemoError(f"identity did not learn of {what} in {timeout:g} s") from exc
            time.sleep(0.25)


def eventually(attempt: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """`attempt()` until it answers something (not None) without a 404: another service
    learns of what happened from events a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = attempt()
            if found is not None:
                return found
        except ApiError as exc:
            if exc.status != 404:
                raise
        if time.monotonic() > deadline:
            raise DemoError(f"waited {timeout:g} s for {what}")
        time.sleep(0.25)


def until_booking_knows(attempt: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """`attempt()`, again while booking answers 404 or 409 because its read model has not yet
    heard of a worker's approval (it follows identity's events a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except ApiError as exc:
            if exc.status not in (404, 409):
                raise
            if time.monotonic() > deadline:
                raise DemoError(f"booking did not learn of {what} in {timeout:g} s: {exc}") from exc
            time.sleep(0.25)


def step(text: str) -> None:
    print(f"  {text}", flush=True)


# -- the demo ------------------------------------------------------------------------------------


class Demo:
    def __init__(self, api: Api, var: Path, mail_timeout: float = 60.0) -> None:
        self.api = api
        self.var = var
        self.mail = Mailbox(var / "mail", mail_timeout)
        self.credentials = Credentials(var / CREDENTIALS_FILE)
        self.operator = ""
        self.operator_email = ""
        self.cbos: dict[str, dict[str, Any]] = {}
        self.today = datetime.now(CITY_TZ).date()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> Any:
        return self.api.call(method, path, token, **kwargs)

    # -- accounts ------------------------------------------------------------------------------

    def sign_in_operator(self) -> None:
        path = self.var / "operator.txt"
        if not path.exists():
            raise DemoError(f"{path} is missing: point --var at the var folder of `make run`.")
        email, password = path.read_text().split("\n")[:2]
        tokens = self.call(
            "POST", "/api/v1/auth/token", json={"email": email, "password": password}
        )
        self.operator, self.operator_email = tokens["access_token"], email
        step(f"signed in as the operator ({email})")

    def sign_in(self, slug: str, email: str, password: str, origin: str | None = None) -> str:
        tokens = self.call(
            "POST",
            f"/api/v1/cbos/{slug}/auth/token",
            json={"email": email, "password": password},
            headers={"Origin": origin} if origin else {},
        )
        return tokens["access_token"]

    def access(self, slug: str, email: str, invited_since: set[str] | None = None) -> str:
        """An access token for one of a CBO's accounts: with the password kept from an earlier
        run, else through an emailed link. That is the invitation just sent if
        `invited_since` is given; otherwise a reset is asked for (an account still invited
        gets a new invitation instead)."""
        password = self.credentials.get(slug, email)
        if password:
            try:
                return self.sign_in(slug, email, password)
            except ApiError as exc:
                if exc.status != 401:
                    raise
        if invited_since is None:
            invited_since = self.mail.mark()
            self.call("POST", "/api/v1/auth/password-reset", json={"email": email, "slug": slug})
        page, token = self.mail.link_for(email, invited_since)
        password = new_password()
        body = {"token": token, "password": password}
        if page == "accept-invitation":
            tokens = self.redeem("/api/v1/auth/invitations/accept", body)
            self.credentials.set(slug, email, password)
            step(f"{email} accepted the emailed invitation and set a password")
            return tokens["access_token"]
        self.redeem("/api/v1/auth/password-reset/confirm", body)
        self.credentials.set(slug, email, password)
        step(f"{email} set a new password from the emailed reset link")
        return self.sign_in(slug, email, password)

    def redeem(self, path: str, body: dict, timeout: float = 10.0) -> Any:
        """Use an emailed link's token, trying again for a moment while identity answers 422
        on `token`: the email may arrive before the transaction that keeps its hash commits."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call("POST", path, json=body)
            except ApiError as exc:
                if exc.status != 422 or "token" not in exc.fields:
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)

    # -- the operator's part ---------------------------------------------------------------

    def find_tenant(self, slug: str) -> dict | None:
        page = self.call(
            "GET", "/api/v1/platform/cbos", self.operator, params={"q": slug, "per_page": 200}
        )
        return next((t for t in page["items"] if t["slug"] == slug), None)

    def onboard(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Application, approval, MOU and licences; then the owner signs in."""
        slug = spec["slug"]
        tenant = self.find_tenant(slug)
        if tenant is None:
            contact_name, contact_email = spec["contact"]
            owner_name, owner_email = spec["owner"]
            receipt = self.call(
                "POST",
                "/api/v1/cbo-applications",
                json={
                    "name": spec["name"],
                    "slug": slug,
                    "contact_name": contact_name,
                    "contact_email": contact_email,
                    "owner_name": owner_name,
                    "owner_email": owner_email,
                    "timezone": "America/Los_Angeles",
                },
            )
            tenant = {"id": receipt["id"], "status": receipt["status"]}
            step(f"{slug}: applied to join the platform")
        tenant_id = tenant["id"]
        invited_since = None
        if tenant["status"] == "applied":
            invited_since = self.mail.mark()
            self.call("POST", f"/api/v1/platform/cbos/{tenant_id}/approve", self.operator)
            step(f"{slug}: approved by the operator (its owner is invited by email)")
        elif tenant["status"] != "approved":
            raise DemoError(f"{slug} is {tenant['status']}: the demo needs it approved.")
        self.record_mou(spec, tenant_id)
        self.license(slug, tenant_id)
        owner_token = self.access(slug, spec["owner"][1], invited_since)
        step(f"{slug}: the owner {spec['owner'][1]} is signed in")
        return {"id": tenant_id, "slug": slug, "owner": owner_token, "spec": spec}

    def record_mou(self, spec: dict[str, Any], tenant_id: str) -> None:
        base = f"/api/v1/platform/cbos/{tenant_id}/mous"
        newest = {"sort": "-starts_on", "per_page": 1}
        mous = self.call("GET", base, self.operator, params=newest)["items"]
        if mous:
            mou = mous[0]
        else:
            signed_on = self.today - timedelta(days=21)
            mou = self.call(
                "POST",
                base,
                self.operator,
                json={
                    "signed_on": signed_on.isoformat(),
                    "starts_on": (signed_on + timedelta(days=7)).isoformat(),
                    "ends_on": date(signed_on.year + 3, 6, 30).isoformat(),
                    "signatories": [
                        {
                            "name": "Jordan Ellis",
                            "title": "Director, CBO Partnerships",
                            "organisation": "Pacific Gateway Workforce Partnership",
                        },
                        {
                            "name": spec["owner"][0],
                            "title": spec["director_title"],
                            "organisation": spec["name"],
                        },
                    ],
                    "notes": "Demo MOU: pipeline of job seekers for WorkLB in Long Beach.",
                },
            )
            step(f"{spec['slug']}: MOU recorded")
        if mou["document"] is None:
            document = pdf(
                [
                    "MEMORANDUM OF UNDERSTANDING (DEMO - NOT A REAL AGREEMENT)",
                    f"Between Pacific Gateway Workforce Partnership and {spec['name']}",
                    f"Signed on {mou['signed_on']}; in force from {mou['starts_on']}"
                    f" to {mou['ends_on']}.",
                ]
            )
            self.call(
                "PUT",
                f"{base}/{mou['id']}/document",
                self.operator,
                files={"file": (f"mou-{spec['slug']}.pdf", document, "application/pdf")},
            )
            step(f"{spec['slug']}: signed MOU uploaded (PDF)")

    def license(self, slug: str, tenant_id: str) -> None:
        base = f"/api/v1/platform/cbos/{tenant_id}/licences"
        held = {
            licence["feature"]
            for licence in self.call("GET", base, self.operator, params={"per_page": 200})["items"]
            if licence["state"] in ("active", "scheduled")
        }
        for feature in ("evv", "rebooking"):
            if feature in held:
                continue
            self.call(
                "POST",
                base,
                self.operator,
                json={
                    "feature": feature,
                    "starts_on": self.today.isoformat(),
                    "ends_on": date(self.today.year + 1, 12, 31).isoformat(),
                },
            )
            step(f"{slug}: licensed for {feature}")

    # -- the owner's part --------------------------------------------------------------------

    def set_up(self, cbo: dict[str, Any]) -> None:
        """Branding, login box, logo, worker sources, clients, a custom role, a staff member."""
        spec, owner, slug = cbo["spec"], cbo["owner"], cbo["slug"]
        branding = self.call("PATCH", "/api/v1/cbo/branding", owner, json=spec["branding"])
        step(
            f"{slug}: branding '{branding['display_name']}', languages "
            f"{'/'.join(branding['languages'])}, "
            f"words in {'/'.join(sorted(branding['terminology']))}"
        )
        if sorted(branding["allowed_origins"]) != sorted(spec["origins"]):
            self.call(
                "PUT", "/api/v1/cbo/login-box", owner, json={"allowed_origins": spec["origins"]}
            )
            step(f"{slug}: login box allowed on {', '.join(spec['origins'])}")
        if branding["logo_url"] is None:
            colours = spec["branding"]["colors"]
            image = logo_png(colours["primary"], colours["secondary"])
            self.call(
                "PUT",
                "/api/v1/cbo/logo",
                owner,
                files={"file": (f"{slug}-logo.png", image, "image/png")},
            )
            step(f"{slug}: logo uploaded")

        listed = self.call("GET", "/api/v1/worker-sources", owner, params={"per_page": 200})
        sources = {s["name"]: s["id"] for s in listed["items"]}
        for source in spec["sources"]:
            if source["name"] in sources:
                continue
            made = self.call(
                "POST",
                "/api/v1/worker-sources",
                owner,
                json={
                    "name": source["name"],
                    "weekly_hour_cap": source["weekly_hour_cap"],
                    "terms": terms(self.today.year) if source["terms"] else [],
                },
            )
            sources[made["name"]] = made["id"]
            cap = source["weekly_hour_cap"]
            rule = "no cap"
            if cap:
                rule = f"{cap:g} h a week" + (" in term time" if source["terms"] else "")
            step(f"{slug}: worker source '{made['name']}' ({rule})")
        cbo["sources"] = sources

        clients = self.call("GET", "/api/v1/clients", owner, params={"per_page": 200})["items"]
        known = {(c["name"].lower(), c["billing_email"].lower()) for c in clients}
        for client in spec["clients"]:
            if (client["name"].lower(), client["billing_email"].lower()) in known:
                continue
            self.call("POST", "/api/v1/clients", owner, json=client)
            step(f"{slug}: client '{client['name']}' ({client['kind']})")

        role = spec["role"]
        own_roles = self.call(
            "GET", "/api/v1/roles", owner, params={"builtin": "false", "per_page": 200}
        )["items"]
        if not any(r["name"] == role["name"] for r in own_roles):
            self.call("POST", "/api/v1/roles", owner, json=role)
            step(f"{slug}: custom role '{role['name']}': {', '.join(role['permissions'])}")

        name, email = spec["staff"]
        staff = self.call("GET", "/api/v1/staff", owner, params={"per_page": 200})["items"]
        invited_since = None
        if not any(member["email"].lower() == email for member in staff):
            invited_since = self.mail.mark()
            self.call(
                "POST",
                "/api/v1/staff",
                owner,
                json={"email": email, "display_name": name, "roles": [role["name"]]},
            )
            step(f"{slug}: staff member {email} registered as '{role['name']}' (invited)")
        cbo["staff"] = self.access(slug, email, invited_since)
        step(f"{slug}: {email} is signed in")

    # -- job seekers (the staff member's part, and the job seekers' own) --------------------

    def jobseekers(self, cbo: dict[str, Any]) -> None:
        """Each planned job seeker: registered, documents uploaded and reviewed, approved
        (for the CBO, then per job type) as far as the plan says; one line each."""
        slug, staff = cbo["slug"], cbo["staff"]
        for plan in cbo["spec"]["jobseekers"]:
            done: list[str] = []
            found = self.call("GET", "/api/v1/jobseekers", staff, params={"q": plan["email"]})
            match = next((j for j in found["items"] if j["email"].lower() == plan["email"]), None)
            own_token = None
            if match is None:
                match, own_token = self.register(cbo, plan, done)
            jobseeker_id = match["id"]
            if plan["documents"]:
                self.documents(cbo, plan, jobseeker_id, own_token, done)
            profile = self.call("GET", f"/api/v1/jobseekers/{jobseeker_id}", staff)
            approve = plan["documents"] == "verified"
            if approve and profile["status"] == "pending" and not profile["missing_documents"]:
                profile = self.call("POST", f"/api/v1/jobseekers/{jobseeker_id}/approve", staff)
                done.append("approved")
            if profile["status"] == "approved":
                for job_type in plan["job_types"]:
                    if job_type in profile["job_types"]:
                        continue
                    self.call(
                        "POST",
                        f"/api/v1/jobseekers/{jobseeker_id}/job-types",
                        staff,
                        json={"job_type": job_type},
                    )
                    done.append(f"job type {job_type}")
            if done:
                step(f"{slug}: {plan['name']}: {'; '.join(done)}")

    def register(
        self, cbo: dict[str, Any], plan: dict[str, Any], done: list[str]
    ) -> tuple[dict, str | None]:
        """A new job seeker, by staff (invited by email) or on the CBO's own site, through its
        login box (then they publish their hours); returns it and, if self, their token."""
        slug, staff = cbo["slug"], cbo["staff"]
        keys = ("email", "name", "phone", "preferred_language", "languages", "home_area", "skills")
        fields = {key: plan[key] for key in keys}
        if plan["source"]:
            fields["source_id"] = cbo["sources"][plan["source"]]
        what = f"the worker source '{plan['source']}'"
        if plan["by"] == "staff":
            made = wait_until_known(
                lambda: self.call(
                    "POST",
                    "/api/v1/jobseekers",
                    staff,
                    json={**fields, "availability": plan["availability"]},
                ),
                what,
            )
            done.append("registered by staff (invited by email)")
            return made, None
        origin = cbo["spec"]["origins"][0]
        password = new_password()
        since = self.mail.mark()
        wait_until_known(
            lambda: self.call(
                "POST",
                f"/api/v1/cbos/{slug}/jobseekers",
                json={**fields, "password": password},
                headers={"Origin": origin},
            ),
            what,
        )
        # Registration answers 202 whoever asks; the emailed link confirms the address.
        page, link_token = self.mail.link_for(plan["email"], since)
        if page != "confirm-email":
            raise DemoError(f"{plan['email']} got a {page} link instead of a confirmation")
        self.redeem("/api/v1/auth/email-confirmation", {"token": link_token})
        self.credentials.set(slug, plan["email"], password)
        token = self.sign_in(slug, plan["email"], password, origin)
        availability = {"availability": plan["availability"]}
        made = self.call("PUT", "/api/v1/me/jobseeker-profile", token, json=availability)
        done.append("registered on its site (login box), confirmed their email, set their hours")
        return made, token

    def documents(
        self,
        cbo: dict[str, Any],
        plan: dict[str, Any],
        jobseeker_id: str,
        own_token: str | None,
        done: list[str],
    ) -> None:
        """Upload what the plan says, then review it. A self-registered person uploads their
        own (signed in only if something is left to upload); staff upload for the others."""
        slug, staff = cbo["slug"], cbo["staff"]
        base = f"/api/v1/jobseekers/{jobseeker_id}/documents"
        listed = self.call("GET", base, staff, params={"per_page": 200})["items"]
        held = {d["document_type"]: d for d in listed}
        shade = 60 + (sum(map(ord, plan["name"])) % 120)
        valid_through = date(self.today.year + 2, 12, 31).isoformat()
        files = {
            "photo_id": ("photo-id.png", id_photo_png(shade), "image/png"),
            "work_authorization": (
                "work-authorization.pdf",
                pdf(
                    [
                        "EMPLOYMENT AUTHORIZATION (DEMO - NOT A REAL DOCUMENT)",
                        f"Name: {plan['name']}",
                        f"Valid through {valid_through}",
                    ]
                ),
                "application/pdf",
            ),
        }
        uploaded = []
        for document_type, file in files.items():
            if document_type in held:
                continue
            if plan["by"] == "self":
                own_token = own_token or self.access(slug, plan["email"])
                path, token = "/api/v1/me/documents", own_token
            else:
                path, token = base, staff
            held[document_type] = self.call(
                "POST", path, token, data={"document_type": document_type}, files={"file": file}
            )
            uploaded.append(DOCUMENT_NAMES[document_type])
        if uploaded:
            who = "uploaded" if plan["by"] == "self" else "staff uploaded"
            done.append(f"{who} {' + '.join(uploaded)}")
        verified = []
        for document_type, document in held.items():
            if document["status"] != "pending":
                continue
            outcome = plan["documents"]
            if outcome == "rejected" and document_type == "photo_id":
                self.call(
                    "POST",
                    f"{base}/{document['id']}/reject",
                    staff,
                    json={"reason": "The photo is too dark to read; please upload a clearer one."},
                )
                done.append(f"{DOCUMENT_NAMES[document_type]} rejected")
            elif outcome == "verified" or (outcome == "pending" and document_type == "photo_id"):
                self.call("POST", f"{base}/{document['id']}/verify", staff)
                verified.append(DOCUMENT_NAMES[document_type])
        if verified:
            done.append(f"staff verified {' + '.join(verified)}")

    # -- partnership -----------------------------------------------------------------------

    def partnership(self) -> None:
        proposer = self.cbos[PARTNERSHIP["proposer"]]
        partner = self.cbos[PARTNERSHIP["partner"]]
        between = [
            p
            for p in self.call(
                "GET", "/api/v1/partnerships", proposer["owner"], params={"per_page": 200}
            )["items"]
            if {p["proposer"]["slug"], p["partner"]["slug"]} == {proposer["slug"], partner["slug"]}
            and p["status"] in ("proposed", "formed")
        ]
        if any(p["status"] == "formed" for p in between):
            return
        if between:
            proposal = between[0]
        else:
            proposal = self.call(
                "POST",
                "/api/v1/partnerships",
                proposer["owner"],
                json={
                    "partner_slug": partner["slug"],
                    "shares": PARTNERSHIP["shares"],
                    "message": PARTNERSHIP["message"],
                },
            )
            step(f"{proposer['slug']} proposed a partnership to {partner['slug']}")
        answerer = partner if proposal["proposer"]["slug"] == proposer["slug"] else proposer
        self.call("POST", f"/api/v1/partnerships/{proposal['id']}/accept", answerer["owner"])
        step(f"{answerer['slug']} accepted: they share {', '.join(proposal['shares'])}")

    # -- the market ----------------------------------------------------------------------------

    def market(self, cbo: dict[str, Any]) -> None:
        """Job types (one exclusive to a client) and a site per client; for Harbor Works a
        booking in each state (an offer waiting, confirmed, an open repeating shift released
        in tiers, cancelled, declined)."""
        # The owner books (the demo's staff member has an intake role without bookings).
        slug, staff = cbo["slug"], cbo["owner"]
        clients = self.call("GET", "/api/v1/clients", staff, params={"per_page": 200})["items"]
        client_ids = {c["name"]: c["id"] for c in clients}
        listed = self.call("GET", "/api/v1/job-types", staff, params={"per_page": 200})["items"]
        job_types = {j["key"]: j["id"] for j in listed}
        wanted = [
            {
                "key": key,
                "name": name,
                "pay_rate_cents": pay,
                "bill_rate_cents": bill,
                "required_skills": skills,
                "needs_approval": True,
            }
            for key, name, pay, bill, skills in JOB_TYPES
        ]
        exclusive = dict(EXCLUSIVE_JOB_TYPE)
        if exclusive.pop("client") in client_ids:
            exclusive["client_id"] = client_ids[EXCLUSIVE_JOB_TYPE["client"]]
            wanted.append(exclusive)
        for body in wanted:
            if body["key"] in job_types:
                continue
            job_types[body["key"]] = self.call("POST", "/api/v1/job-types", staff, json=body)["id"]
            only = " (exclusive to its client)" if body.get("client_id") else ""
            step(f"{slug}: job type '{body['name']}'{only}")
        known_sites = self.call("GET", "/api/v1/sites", staff, params={"per_page": 200})["items"]
        sites = {s["client_id"]: s["id"] for s in known_sites}
        for client in cbo["spec"]["clients"]:
            client_id = client_ids[client["name"]]
            if client_id in sites:
                continue
            body = {
                "client_id": client_id,
                "name": client["name"],
                "address_line1": client["address_line1"],
                "city": client["city"],
                "state": client["state"],
                "zip": client["postal_code"],
            }
            if client.get("address_line2"):
                body["address_line2"] = client["address_line2"]
            sites[client_id] = self.call("POST", "/api/v1/sites", staff, json=body)["id"]
            step(f"{slug}: site for {client['name']}")
        if slug == CBOS[0]["slug"]:
            self.bookings(cbo, client_ids, job_types, sites)
            self.rebooking(cbo, client_ids, job_types, sites)
            self.visits(cbo, client_ids, job_types, sites)
            self.payroll(cbo, client_ids, job_types, sites)

    def bookings(
        self,
        cbo: dict[str, Any],
        client_ids: dict[str, str],
        job_types: dict[str, str],
        sites: dict[str, str],
    ) -> None:
        # The owner books (the demo's staff member has an intake role without bookings).
        slug, staff = cbo["slug"], cbo["owner"]
        made = self.call("GET", "/api/v1/bookings", staff, params={"per_page": 200})["items"]
        markers = {b["notes"] for b in made}
        monday = self.today + timedelta(days=7 - self.today.weekday())
        people = {p["name"]: p for p in cbo["spec"]["jobseekers"]}
        for (
            marker,
            client,
            job_type,
            offset,
            start,
            end,
            rule,
            positions,
            mode,
            named,
            then,
        ) in HARBOR_BOOKINGS:
            notes = f"Demo booking: {marker}"
            if notes in markers:
                continue
            body: dict[str, Any] = {
                "client_id": client_ids[client],
                "site_id": sites[client_ids[client]],
                "job_type_id": job_types[job_type],
                "starts_on": (monday + timedelta(days=offset)).isoformat(),
                "start_time": start,
                "end_time": end,
                "positions": positions,
                "fill_mode": mode,
                "notes": notes,
            }
            if rule:
                body["recurrence"] = rule
            worker = people[named] if named else None
            if worker is not None:
                found = self.call(
                    "GET", "/api/v1/jobseekers", staff, params={"q": worker["email"]}
                )["items"]
                body["named_worker_id"] = found[0]["id"]
            booking = until_booking_knows(
                functools.partial(self.call, "POST", "/api/v1/bookings", staff, json=body),
                f"the people of {slug}",
            )
            shifts = len(booking["shifts"])
            step(f"{slug}: booked {client} ({job_type}, {mode}, {shifts} shift(s))")
            if worker is not None and then in ("confirmed", "declined"):
                token = self.access(slug, worker["email"])
                offers = self.call(
                    "GET", "/api/v1/me/offers", token, params={"status": "sent", "per_page": 200}
                )["items"]
                offer = next(o for o in offers if o["shift"]["id"] == booking["shifts"][0]["id"])
                if then == "confirmed":
                    self.call("POST", f"/api/v1/offers/{offer['id']}/confirm", token)
                else:
                    self.call(
                        "POST",
                        f"/api/v1/offers/{offer['id']}/decline",
                        token,
                        json={"reason": "I have a class that morning."},
                    )
                step(f"{slug}: {named} {then} the offer")
            if then == "cancelled":
                self.call(
                    "POST",
                    f"/api/v1/bookings/{booking['id']}/cancel",
                    staff,
                    json={"reason": "The client moved the event to another month."},
                )
                step(f"{slug}: staff cancelled it, with a reason")

    def rebooking(
        self,
        cbo: dict[str, Any],
        client_ids: dict[str, str],
        job_types: dict[str, str],
        sites: dict[str, str],
    ) -> None:
        """Replacement cascades (Harbor Works holds the rebooking licence): the City prefers
        Maria Lopez (now also approved for custodial work) when its custodian drops out; the
        Nguyen family wants no replacement but from its list, which is empty. Maria and Lupe
        Hernandez each decline a named shift three weeks ahead: the family's cascade is
        exhausted at once; the City's offers Maria and waits for her answer (in progress)."""
        slug, staff = cbo["slug"], cbo["owner"]
        made = self.call("GET", "/api/v1/bookings", staff, params={"per_page": 200})["items"]
        markers = {b["notes"] for b in made}
        people = {p["name"]: p for p in cbo["spec"]["jobseekers"]}

        def person(name: str) -> str:
            found = self.call(
                "GET", "/api/v1/jobseekers", staff, params={"q": people[name]["email"]}
            )["items"]
            return found[0]["id"]

        maria = person("Maria Lopez")
        try:
            self.call(
                "POST",
                f"/api/v1/jobseekers/{maria}/job-types",
                staff,
                json={"job_type": "custodial"},
            )
        except ApiError as exc:
            if exc.status != 409:  # approved on an earlier run
                raise
        # The family's first: booking meanwhile hears of Maria's new approval. (day, client,
        # job type, the named worker who declines, the client's preferred workers, marker)
        plans: tuple[tuple[int, str, str, str, list[str], str], ...] = (
            (0, "The Nguyen Family", "home_care", "Maria Lopez", [], "rebooking-exhausted"),
            (
                1,
                "City of Long Beach",
                "custodial",
                "Lupe Hernandez",
                [maria],
                "rebooking-in-progress",
            ),
        )
        start = self.today + timedelta(days=7 - self.today.weekday() + 14)
        for day, client, job_type, named, preferred, marker in plans:
            self.call(
                "PATCH",
                f"/api/v1/clients/{client_ids[client]}/rebooking-preferences",
                staff,
                json={
                    "preferred_worker_ids": preferred,
                    "use_ranking": False,
                    "confirmation_window_minutes": 24 * 60,
                    "max_attempts": 3,
                },
            )
            step(f"{slug}: rebooking preferences of {client}")
            notes = f"Demo booking: {marker}"
            if notes in markers:
                continue
            body = {
                "client_id": client_ids[client],
                "site_id": sites[client_ids[client]],
                "job_type_id": job_types[job_type],
                "starts_on": (start + timedelta(days=day)).isoformat(),
                "start_time": "09:00",
                "end_time": "12:00",
                "fill_mode": "named",
                "named_worker_id": person(named),
                "notes": notes,
            }
            booking = until_booking_knows(
                functools.partial(self.call, "POST", "/api/v1/bookings", staff, json=body),
                f"the people of {slug}",
            )
            shift_id = booking["shifts"][0]["id"]
            token = self.access(slug, people[named]["email"])
            offers = self.call(
                "GET", "/api/v1/me/offers", token, params={"status": "sent", "per_page": 200}
            )["items"]
            offer = next(o for o in offers if o["shift"]["id"] == shift_id)
            self.call(
                "POST",
                f"/api/v1/offers/{offer['id']}/decline",
                token,
                json={"reason": "Something came up that day."},
            )
            cascade = self.cascade_of(staff, shift_id)
            step(
                f"{slug}: {named} declined a {client} shift; its cascade is {cascade['status']}"
                + (f" ({cascade['end_reason']})" if cascade["end_reason"] else "")
            )

    def visits(
        self,
        cbo: dict[str, Any],
        client_ids: dict[str, str],
        job_types: dict[str, str],
        sites: dict[str, str],
    ) -> None:
        """EVV visits happening now (Harbor Works holds the EVV licence): the Nguyen family
        chooses EVV; Maria Lopez and Lupe Hernandez each add hours to today's availability, are
        booked for a shift starting in a few minutes, confirm, and clock in from the phone:
        Maria at the family's door (a visit with no exception), Lupe 2 km from the City's site
        (outside the geofence: an exception staff see). Their clock-outs are theirs to send
        when the shifts end. Skipped late in the evening, when such a shift would run past
        midnight."""
        slug, staff = cbo["slug"], cbo["owner"]
        made = self.call("GET", "/api/v1/bookings", staff, params={"per_page": 200})["items"]
        markers = {b["notes"] for b in made}
        plans = (
            ("Maria Lopez", "The Nguyen Family", "home_care", 0.0, "evv-at-the-door"),
            ("Lupe Hernandez", "City of Long Beach", "custodial", 0.018, "evv-2-km-away"),
        )
        if all(f"Demo booking: {marker}" in markers for *_, marker in plans):
            return
        now = datetime.now(CITY_TZ)
        starts = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
        starts -= timedelta(minutes=starts.minute % 5)
        ends = starts + timedelta(hours=2)
        if ends.date() != now.date():
            step(f"{slug}: EVV visits skipped (a shift starting now would run past midnight)")
            return
        self.call(
            "PUT",
            f"/api/v1/evv/clients/{client_ids['The Nguyen Family']}",
            staff,
            json={"evv": True},
        )
        step(f"{slug}: The Nguyen Family chose EVV")
        people = {p["name"]: p for p in cbo["spec"]["jobseekers"]}
        for name, client, job_type, north, marker in plans:
            notes = f"Demo booking: {marker}"
            if notes in markers:
                continue
            worker = people[name]
            token = self.access(slug, worker["email"])
            profile = self.call("GET", "/api/v1/me/jobseeker-profile", token)
            availability = profile.get("availability") or {"weekly": {}, "exceptions": []}
            extra = {
                "date": now.date().isoformat(),
                "kind": "extra",
                "slots": [{"start": f"{now:%H}:00", "end": f"{ends:%H:%M}"}],
                "note": "Can cover a shift today.",
            }
            exceptions = [
                e for e in availability.get("exceptions", []) if e["date"] != extra["date"]
            ]
            self.call(
                "PUT",
                "/api/v1/me/jobseeker-profile",
                token,
                json={
                    "availability": {
                        "weekly": availability.get("weekly", {}),
                        "exceptions": [*exceptions, extra],
                    }
                },
            )
            found = self.call("GET", "/api/v1/jobseekers", staff, params={"q": worker["email"]})
            body = {
                "client_id": client_ids[client],
                "site_id": sites[client_ids[client]],
                "job_type_id": job_types[job_type],
                "starts_on": starts.date().isoformat(),
                "start_time": f"{starts:%H:%M}",
                "end_time": f"{ends:%H:%M}",
                "positions": 1,
                "fill_mode": "named",
                "named_worker_id": found["items"][0]["id"],
                "notes": notes,
            }
            booking = until_booking_knows(
                functools.partial(self.call, "POST", "/api/v1/bookings", staff, json=body),
                f"{name}'s hours today",
            )
            shift_id = booking["shifts"][0]["id"]
            offers = self.call(
                "GET", "/api/v1/me/offers", token, params={"status": "sent", "per_page": 200}
            )["items"]
            offer = next(o for o in offers if o["shift"]["id"] == shift_id)
            self.call("POST", f"/api/v1/offers/{offer['id']}/confirm", token)
            visit = self.visit_of(token, shift_id)
            site = visit["site"] or {}
            latitude, longitude = site.get("latitude"), site.get("longitude")
            if latitude is None or longitude is None:
                step(
                    f"{slug}: {name} confirmed {starts:%H:%M}; EVV knows no position of the "
                    "site, so no clock-in"
                )
                continue
            punch = self.call(
                "POST",
                "/api/v1/me/visits/punches",
                token,
                json={
                    "id": secrets.token_hex(16),
                    "assignment_id": visit["id"],
                    "kind": "clock_in",
                    "device_time": datetime.now(CITY_TZ).isoformat(),
                    "latitude": latitude + north,
                    "longitude": longitude,
                    "accuracy_m": 8.0,
                },
            )
            raised = ", ".join(punch["exceptions"]) or "no exception"
            step(
                f"{slug}: {name} booked {starts:%H:%M}–{ends:%H:%M} at {client}, confirmed "
                f"and clocked in ({raised})"
            )

    def visit_of(self, token: str, shift_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The worker's visit of a confirmed shift, once EVV has heard of the confirmation."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.call("GET", "/api/v1/me/visits", token, params={"per_page": 100})
            visit = next((v for v in found["items"] if v["shift_id"] == shift_id), None)
            if visit is not None:
                return visit
            if time.monotonic() > deadline:
                raise DemoError(f"EVV did not hear of the shift {shift_id} in {timeout:g} s")
            time.sleep(0.25)

    def payroll(
        self,
        cbo: dict[str, Any],
        client_ids: dict[str, str],
        job_types: dict[str, str],
        sites: dict[str, str],
    ) -> None:
        """A payroll week (Harbor Works holds the EVV licence): the City chooses EVV; Jamal
        Carter works a nine-hour warehouse shift starting soon today, his clock-in and
        clock-out recorded by staff (EVV verifies the visit and approves his timesheet line
        itself); finance gives him a payroll id, and the week is previewed: his regular hours,
        overtime, meal premium and gross, and what blocks the run. No route puts work in a week
        already over, so the demo's week is still under way: the Tuesday run after it completes
        it and makes the provider files."""
        slug, staff = cbo["slug"], cbo["owner"]
        city = client_ids["City of Long Beach"]
        self.call("PUT", f"/api/v1/evv/clients/{city}", staff, json={"evv": True})
        people = {p["name"]: p for p in cbo["spec"]["jobseekers"]}
        jamal = self.call(
            "GET", "/api/v1/jobseekers", staff, params={"q": people["Jamal Carter"]["email"]}
        )["items"][0]
        made = self.call("GET", "/api/v1/bookings", staff, params={"per_page": 200})["items"]
        notes = "Demo booking: a payroll week"
        booked = next((b for b in made if b["notes"] == notes), None)
        if booked is None:
            now = datetime.now(CITY_TZ)
            start = (now + timedelta(minutes=90)).replace(second=0, microsecond=0)
            start += timedelta(minutes=-start.minute % 15)
            if (start + timedelta(hours=9)).date() != start.date():
                start = datetime.combine(start.date() + timedelta(days=1), time_of(8), CITY_TZ)
            end = start + timedelta(hours=9)
            # Jamal told staff he can work a long day: an extra day beside his weekday mornings.
            profile = self.call("GET", f"/api/v1/jobseekers/{jamal['id']}", staff)
            availability = profile["availability"]
            availability["exceptions"] = [
                *[x for x in availability["exceptions"] if x["date"] != start.date().isoformat()],
                {
                    "date": start.date().isoformat(),
                    "kind": "extra",
                    "slots": [{"start": "00:00", "end": "24:00"}],
                    "note": "Can work a long day",
                },
            ]
            self.call(
                "PUT",
                f"/api/v1/jobseekers/{jamal['id']}",
                staff,
                json={"availability": availability},
            )
            booked = until_booking_knows(
                functools.partial(
                    self.call,
                    "POST",
                    "/api/v1/bookings",
                    staff,
                    json={
                        "client_id": city,
                        "site_id": sites[city],
                        "job_type_id": job_types["warehouse"],
                        "starts_on": start.date().isoformat(),
                        "start_time": start.strftime("%H:%M"),
                        "end_time": end.strftime("%H:%M"),
                        "positions": 1,
                        "fill_mode": "named",
                        "named_worker_id": jamal["id"],
                        "notes": notes,
                    },
                ),
                f"the people of {slug}",
            )
            token = self.access(slug, people["Jamal Carter"]["email"])
            shift = booked["shifts"][0]
            offers = self.call(
                "GET", "/api/v1/me/offers", token, params={"status": "sent", "per_page": 200}
            )["items"]
            offer = next(o for o in offers if o["shift"]["id"] == shift["id"])
            confirmed = self.call("POST", f"/api/v1/offers/{offer['id']}/confirm", token)
            visit = confirmed["assignment_id"]
            eventually(
                lambda: self.call("GET", f"/api/v1/visits/{visit}", staff)["site"] or None,
                "EVV to learn Jamal's confirmed shift",
            )
            for kind, at in (("clock_in", shift["starts_at"]), ("clock_out", shift["ends_at"])):
                body = {"kind": kind, "time": at, "reason_code": "100", "action_code": "12"}
                self.call("POST", f"/api/v1/visits/{visit}/corrections", staff, json=body)
            step(f"{slug}: Jamal Carter worked nine hours for the City (EVV approved the line)")
        eventually(
            lambda: self.call(
                "PUT",
                f"/api/v1/payroll/workers/{jamal['id']}/payroll-id",
                staff,
                json={"payroll_id": "HW1001"},
            ),
            "billing to learn Jamal Carter",
        )
        self.call(
            "PATCH",
            "/api/v1/payroll/settings",
            staff,
            json={"payroll_provider": "adp", "company_code": "HWC"},
        )
        starts = datetime.fromisoformat(booked["shifts"][0]["starts_at"]).astimezone(CITY_TZ)
        week = starts.date() - timedelta(days=starts.weekday())

        def previewed() -> dict[str, Any] | None:
            run = self.call(
                "POST", "/api/v1/payroll/runs", staff, json={"week_start": week.isoformat()}
            )
            for _ in range(120):
                run = self.call("GET", f"/api/v1/payroll/runs/{run['id']}", staff)
                if run["status"] == "previewed":
                    break
                time.sleep(0.25)
            lines = self.call("GET", f"/api/v1/payroll/runs/{run['id']}/lines", staff)["items"]
            mine = [x for x in lines if x["worker_id"] == jamal["id"]]
            return {**run, "line": mine[0]} if mine else None

        run = eventually(previewed, "billing to learn Jamal's approved line")
        line = run["line"]
        step(
            f"{slug}: payroll preview of the week of {week.isoformat()}: {run['workers']} "
            f"worker(s), gross ${run['gross_cents'] / 100:,.2f}, {run['blocker_count']} "
            f"blocker(s); Jamal Carter {line['regular_minutes'] / 60:g} h regular, "
            f"{line['overtime_minutes'] / 60:g} h at 1.5x, {line['meal_premiums']} meal "
            f"premium(s), gross ${line['gross_cents'] / 100:,.2f} (the Tuesday run after the "
            "week completes it: ADP, Paychex, Gusto and plain files)"
        )

    def cascade_of(self, staff: str, shift_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The shift's cascade, once rebooking has taken up the declined offer."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.call(
                "GET", "/api/v1/rebooking/cascades", staff, params={"shift_id": shift_id}
            )["items"]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise DemoError(f"rebooking did not take up shift {shift_id} in {timeout:g} s")
            time.sleep(0.25)

    # -- all of it ---------------------------------------------------------------------------

    def run(self) -> None:
        health = self.call("GET", "/health")
        step(f"platform is {health['status']}: {', '.join(sorted(health['services']))}")
        self.sign_in_operator()
        for spec in CBOS:
            self.cbos[spec["slug"]] = self.onboard(spec)
        for cbo in self.cbos.values():
            self.set_up(cbo)
            self.jobseekers(cbo)
        self.partnership()
        for cbo in self.cbos.values():
            self.market(cbo)
        self.summary()

    def summary(self) -> None:
        first = CBOS[0]
        slug = first["slug"]
        owner, staff = first["owner"][1], first["staff"][1]
        seeker = next(
            j for j in first["jobseekers"] if j["by"] == "self" and j["documents"] == "verified"
        )
        self.access(slug, seeker["email"])  # its password is known (or set anew)
        base = self.api.base
        rows = [
            ("owner", owner),
            (f"staff ({first['role']['name']})", staff),
            ("job seeker (approved)", seeker["email"]),
        ]
        print(f"\nThe demo city is loaded. API docs: {base}/api/docs")
        print(
            f'Sign in to {slug}: POST {base}/api/v1/cbos/{slug}/auth/token {{"email", "password"}}'
        )
        for who, email in rows:
            print(f"  {who:<22} {email:<38} {self.credentials.get(slug, email)}")
        print(f"The operator: POST {base}/api/v1/auth/token as {self.operator_email}")
        print(f"  (password in {self.var / 'operator.txt'})")
        print(f"Every demo password, both CBOs': {self.var / CREDENTIALS_FILE}")
        print(f"Public look of {slug}: {base}/api/v1/public/cbos/{slug}/branding")


def main(argv: list[str] | None = None) -> int:
    port = os.environ.get("WORKLB_GATEWAY_PORT", "8000")
    parser = argparse.ArgumentParser(
        prog="python -m deploy.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("WORKLB_URL", f"http://127.0.0.1:{port}"),
        help="the gateway (default: $WORKLB_URL, else http://127.0.0.1:$WORKLB_GATEWAY_PORT)",
    )
    parser.add_argument(
        "--var",
        type=Path,
        default=Path(os.environ.get("WORKLB_DEMO_VAR", ROOT / "var")),
        help="the platform's var folder, with operator.txt and mail/ "
        "(default: $WORKLB_DEMO_VAR, else var/)",
    )
    parser.add_argument(
        "--mail-timeout", type=float, default=60.0, help="seconds to wait for an email"
    )
    args = parser.parse_args(argv)
    print(f"Loading the demo city into {args.url}")
    try:
        Demo(Api(args.url), args.var, args.mail_timeout).run()
    except requests.ConnectionError:
        print("The platform is not running: start it with `make run` first.", file=sys.stderr)
        return 1
    except DemoError as exc:
        print(f"\nThe demo stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
