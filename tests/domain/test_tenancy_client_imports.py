"""The client CSV import on tenancy's real database, in each mode: what it reports, what it
writes, and that a file can be imported again without a duplicate. (That its progress is seen
by others while it runs needs connections of their own: tests/integration/test_tenancy.py.)"""

from __future__ import annotations

import pytest

from chassis.errors import NotFound, UnsupportedMediaType, ValidationFailed
from services.tenancy.clients import domain as clients
from services.tenancy.clients import imports
from tests.domain.outbox import Outbox
from tests.factories import (
    CLIENT_CSV_HEADER,
    a_cbo,
    a_client,
    client_csv,
    client_csv_row,
    staff_caller,
    uploaded,
)

SERVICE = "tenancy"


def run(uow, tenant, data: bytes | None, mode: str):
    return imports.run_import(
        uow,
        caller=staff_caller(tenant.id),
        tenant_id=tenant.id,
        file=uploaded(data, "clients.csv") if data is not None else None,
        mode=mode,
    )


def client_count(uow, tenant) -> int:
    return clients.list_clients(uow, tenant_id=tenant.id, page=1, per_page=1, sort="name")["total"]


def import_count(uow, tenant) -> int:
    return imports.list_imports(uow, tenant_id=tenant.id, page=1, per_page=1)["total"]


def test_a_dry_run_reports_every_bad_row_and_writes_no_client(uow):
    tenant = a_cbo(uow)
    data = client_csv(good=5, bad=2) + client_csv_row("Business 1", "AP1@biz.example.com").encode()
    sent = Outbox(uow)
    report = run(uow, tenant, data, "dry_run")
    assert (report.status, report.mode, report.dry_run) == ("checked", "dry_run", True)
    assert (report.rows_total, report.rows_done) == (8, 8)
    assert (report.created, report.existing, report.failed) == (0, 0, 3)
    assert report.ignored_columns == ["unknown_column"]
    assert (report.filename, report.size_bytes) == ("clients.csv", len(data))
    by_row = {r["row"]: r["errors"] for r in report.bad_rows}
    assert set(by_row) == {7, 8, 9}  # as a spreadsheet numbers them, the header being 1
    assert set(by_row[7]) == {"billing_email", "state"}
    assert by_row[9] == {"name": ["Repeats row 3."]}
    assert client_count(uow, tenant) == 0 and sent.events() == []  # not even an audit entry
    assert imports.get_import(uow, tenant_id=tenant.id, import_id=report.id).bad_rows == (
        report.bad_rows
    )


def test_all_or_nothing_rejects_a_file_with_one_bad_row(uow):
    tenant = a_cbo(uow)
    sent = Outbox(uow)
    report = run(uow, tenant, client_csv(good=10, bad=1), "all_or_nothing")
    assert (report.status, report.mode, report.dry_run) == ("rejected", "all_or_nothing", False)
    assert (report.created, report.failed) == (0, 1)
    assert client_count(uow, tenant) == 0 and sent.events("client.registered") == []
    [trail] = sent.audit()
    assert trail["after"]["status"] == "rejected"


def test_all_or_nothing_imports_a_good_file_whole(uow):
    tenant = a_cbo(uow)
    report = run(uow, tenant, client_csv(good=4), "all_or_nothing")
    assert (report.status, report.created, report.failed) == ("completed", 4, 0)
    assert client_count(uow, tenant) == 4


def test_skip_bad_rows_imports_the_rest_and_importing_again_duplicates_nobody(uow):
    tenant, other = a_cbo(uow), a_cbo(uow)
    owner = staff_caller(tenant.id)
    a_client(uow, tenant_id=tenant.id, name="Business 0", billing_email="ap0@biz.example.com")
    data = client_csv(good=6, bad=2)
    sent = Outbox(uow)
    report = imports.run_import(
        uow, caller=owner, tenant_id=tenant.id, file=uploaded(data, "c.csv"), mode="skip_bad_rows"
    )
    assert report.status == "completed"
    assert (report.created, report.existing, report.failed) == (5, 1, 2)
    assert client_count(uow, tenant) == 6
    registered = sent.events("client.registered")
    assert len(registered) == 5 and {e["tenant_id"] for e in registered} == {tenant.id}
    assert {e["data"]["channel"] for e in registered} == {"import"}
    [imported] = clients.list_clients(
        uow, tenant_id=tenant.id, page=1, per_page=5, sort="name", q="Business 3"
    )["items"]
    assert (imported.state, imported.payment_terms_days, imported.po_number) == ("CA", 30, None)
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "clients.import",
        owner.user_id,
        report.id,
    )
    assert trail["after"] == {
        "filename": "c.csv",
        "sha256": report.sha256,
        "mode": "skip_bad_rows",
        "status": "completed",
        "rows": 8,
        "created": 5,
        "existing": 1,
        "failed": 2,
    }

    again = run(uow, tenant, data, "skip_bad_rows")
    assert (again.created, again.existing, again.failed) == (0, 6, 2)
    assert client_count(uow, tenant) == 6
    listed = imports.list_imports(uow, tenant_id=tenant.id, page=1, per_page=10)
    assert listed["total"] == 2 and {j.id for j in listed["items"]} == {report.id, again.id}

    # Another CBO sees none of it.
    with pytest.raises(NotFound):
        imports.get_import(uow, tenant_id=other.id, import_id=report.id)
    assert import_count(uow, other) == 0 and client_count(uow, other) == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"PK\x03\x04 an xlsx", UnsupportedMediaType),
        (b"%PDF-1.7 a pdf", UnsupportedMediaType),
        (b"name,kind\nA,city\n", ValidationFailed),  # required columns missing
        (CLIENT_CSV_HEADER.encode(), ValidationFailed),  # no rows
        (b"\xff\xfe\xfa not utf-8 at all,,\n", ValidationFailed),
        (b'name,"unterminated\n', ValidationFailed),
        (b"", ValidationFailed),
        (None, ValidationFailed),  # no file at all
    ],
)
def test_a_malformed_file_is_refused_whole_before_anything_is_kept(uow, data, error):
    tenant = a_cbo(uow)
    sent = Outbox(uow)
    with pytest.raises(error) as refused:
        run(uow, tenant, data, "skip_bad_rows")
    assert set(refused.value.fields) == {"file"}
    assert import_count(uow, tenant) == 0 and client_count(uow, tenant) == 0
    assert sent.events() == []
