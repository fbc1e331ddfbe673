"""The tenancy service's wiring, on the real broker and its own migrated database, called over
RPC with signed caller contexts: what only a running service shows. Errors cross RPC as the
right DomainError with their fields; each entrypoint checks its permission and takes the CBO
from the caller, never the body; files cross intact; other services are kept to their CBO;
committed events reach the broker. And what needs connections of their own: an import's
progress seen by others while it runs, a failed import's record, two proposals at once.

What the domain functions do with the data (life cycles, events and audit entries written,
isolation, search, caps, licences) is tested without nameko in tests/domain/test_tenancy_*.py,
and the request schemas in tests/unit/test_tenancy_schemas.py.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.db import UnitOfWork, make_engine
from chassis.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from deploy.migrate import migrate
from services.tenancy.service import TenancyService
from tests.factories import (
    PDF,
    PNG,
    a_cbo,
    application,
    client_csv,
    client_details,
    jobseeker_caller,
    mou_details,
    operator_caller,
    staff_caller,
    system_caller,
    uploaded,
)
from tests.waiting import wait_for

TABLES = (
    "tenants, logos, mous, clients, client_imports, worker_sources, partnerships, licences, outbox"
)
OPERATOR = operator_caller()


@pytest.fixture(scope="module")
def tenancy_engine(settings):
    migrate(settings, ["tenancy"], quiet=True)
    engine = make_engine(settings.database_url("tenancy"))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(tenancy_engine):
    with tenancy_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    return tenancy_engine


@pytest.fixture
def config(container_factory, service_config, engine) -> dict:
    """The configuration of a running tenancy service."""
    config = service_config()
    container_factory(TenancyService, config).start()
    return config


@pytest.fixture
def as_caller(config, settings):
    """`with as_caller(caller) as rpc:` the tenancy service, called as `caller`."""

    @contextmanager
    def open_as(caller: Caller | None) -> Iterator:
        data = context_data_for(caller, settings.context_secret) if caller else {}
        with ServiceRpcProxy("tenancy", config, context_data=data) as rpc:
            yield rpc

    return open_as


@pytest.fixture
def approved(as_caller) -> Callable[[str], str]:
    """Makes an approved CBO over RPC, as anybody applies and the operator approves; returns
    its id."""

    def make(slug: str) -> str:
        with as_caller(None) as anybody, as_caller(OPERATOR) as operator:
            tenant_id = anybody.apply(application(slug))["id"]
            operator.approve_tenant(tenant_id)
        return tenant_id

    return make


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(text(table))).scalar_one()


def test_bad_input_crosses_rpc_as_validation_failed_naming_each_field_and_writes_nothing(
    as_caller, approved, engine
):
    tenant_id = approved("harbor-works")
    before = count(engine, "outbox")
    with as_caller(None) as anybody, pytest.raises(ValidationFailed) as raised:
        anybody.apply({"slug": "Bad Slug!"})
    assert set(raised.value.fields) == {
        "name",
        "slug",
        "contact_name",
        "contact_email",
        "owner_name",
        "owner_email",
    }
    with as_caller(OPERATOR) as operator, pytest.raises(ValidationFailed) as raised:
        operator.reject_tenant(tenant_id, {})
    assert set(raised.value.fields) == {"reason"}
    with as_caller(staff_caller(tenant_id)) as owner:
        with pytest.raises(ValidationFailed) as raised:
            owner.set_login_box(
                {"allowed_origins": ["http://plain.example.org", "https://x.org/a"]}
            )
        # Item indexes cross as JSON object keys.
        assert set(raised.value.fields["allowed_origins"]) == {"0", "1"}

        # Regression: a term missing `starts_on` crashed with a KeyError (500), on create and
        # on update, instead of naming the field.
        source = owner.create_source({"name": "LB City College"})
        before = count(engine, "outbox")
        for attempt in (
            lambda: owner.create_source({"name": "Broken", "terms": [{"ends_on": "2026-05-01"}]}),
            lambda: owner.update_source(source["id"], {"terms": [{"ends_on": "2026-05-01"}]}),
        ):
            with pytest.raises(ValidationFailed) as raised:
                attempt()
            assert raised.value.fields == {
                "terms": {"0": {"starts_on": ["Missing data for required field."]}}
            }
        assert [s["name"] for s in owner.list_sources()["items"]] == ["LB City College"]
    assert count(engine, "tenants") == 1 and count(engine, "outbox") == before


def test_only_the_operator_decides_on_cbos_and_licences(as_caller, approved):
    tenant_id = approved("harbor-works")
    with as_caller(None) as anybody:
        other = anybody.apply(application("waiting"))["id"]
        with pytest.raises(Unauthenticated):
            anybody.approve_tenant(other)
    with as_caller(staff_caller(tenant_id, role="owner")) as owner:
        for call in (
            lambda: owner.approve_tenant(other),
            lambda: owner.list_tenants({}),
            lambda: owner.record_mou(tenant_id, mou_details()),
            lambda: owner.grant_licence(tenant_id, {"feature": "evv", "starts_on": "2029-01-01"}),
        ):
            with pytest.raises(Forbidden):
                call()
    with as_caller(OPERATOR) as operator:
        assert operator.get_tenant(other)["status"] == "applied"
        with pytest.raises(Conflict):  # a domain refusal crosses as itself
            operator.reinstate_tenant(other, {"reason": "Never suspended"})
        with pytest.raises(NotFound):
            operator.get_tenant("no-such-cbo")


def test_each_cbo_entrypoint_checks_its_permission_and_takes_the_cbo_from_the_caller(
    as_caller, approved
):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(staff_caller(tenant_id)) as owner:
        client = owner.create_client(client_details("Harbor Cafe"))
    with as_caller(staff_caller(tenant_id, role="viewer")) as viewer:
        assert viewer.get_client(client["id"])["name"] == "Harbor Cafe"
        assert viewer.list_clients({"q": "harbor", "per_page": "5"})["total"] == 1
        with pytest.raises(Forbidden):
            viewer.create_client(client_details())
        with pytest.raises(Forbidden):
            viewer.import_clients({"file": uploaded(client_csv(1), "c.csv")})
        with pytest.raises(Forbidden):
            viewer.create_source({"name": "Walk-ins"})
    with as_caller(staff_caller(other_id)) as stranger:
        assert stranger.list_clients({})["total"] == 0  # its own CBO's, from its token
        with pytest.raises(NotFound):
            stranger.get_client(client["id"])
    # Even if a token claimed a staff permission, a job seeker is not the CBO's staff.
    jobseeker = jobseeker_caller(tenant_id, permissions={"clients.read"})
    with as_caller(jobseeker) as rpc, pytest.raises(Forbidden):
        rpc.list_clients({})
    # Any staff member may see the CBO's licences (a @public entrypoint, staff only).
    with as_caller(staff_caller(tenant_id, role="viewer", permissions=())) as anyone_on_staff:
        assert anyone_on_staff.own_licences()["items"] == []
    with as_caller(jobseeker) as rpc, pytest.raises(Forbidden):
        rpc.own_licences()


def test_files_cross_rpc_intact_both_ways(as_caller, approved):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(staff_caller(tenant_id)) as owner:
        assert owner.set_logo({"file": uploaded(PNG, "logo.png")})["size"] == len(PNG)
        with pytest.raises(UnsupportedMediaType) as raised:
            owner.set_logo({"file": uploaded(PDF, "logo.png")})
        assert set(raised.value.fields) == {"file"}
        report = owner.import_clients(
            {"file": uploaded(client_csv(good=3, bad=1), "clients.csv"), "mode": "skip_bad_rows"}
        )
        assert (report["status"], report["created"], report["failed"]) == ("completed", 3, 1)
        assert owner.get_client_import(report["id"])["bad_rows"] == report["bad_rows"]
        checked = owner.import_clients(
            {"file": uploaded(client_csv(1), "c.csv"), "dry_run": "true"}
        )
        assert checked["mode"] == "dry_run"
    with as_caller(None) as anybody:
        logo = anybody.public_logo("harbor-works")
        assert base64.b64decode(logo["data"]) == PNG and logo["content_type"] == "image/png"
        assert anybody.public_branding("harbor-works")["logo_url"].startswith(
            "/api/v1/public/cbos/harbor-works/logo?v="
        )

    with as_caller(OPERATOR) as operator:
        mou = operator.record_mou(tenant_id, mou_details())
        operator.attach_mou_document(tenant_id, mou["id"], {"file": uploaded(PDF, "signed.pdf")})
        assert base64.b64decode(operator.tenant_mou_document(tenant_id, mou["id"])["data"]) == PDF
    with as_caller(staff_caller(tenant_id)) as owner:
        assert [m["id"] for m in owner.list_own_mous()["items"]] == [mou["id"]]
        assert base64.b64decode(owner.own_mou_document(mou["id"])["data"]) == PDF
    with as_caller(staff_caller(tenant_id, role="approver")) as approver, pytest.raises(Forbidden):
        approver.own_mou_document(mou["id"])
    with as_caller(staff_caller(other_id)) as stranger:
        assert stranger.list_own_mous()["total"] == 0
        with pytest.raises(NotFound):
            stranger.own_mou_document(mou["id"])


def test_other_services_are_kept_to_their_cbo_unless_they_act_across_cbos(as_caller, approved):
    tenant_id = approved("harbor-works")
    other_id = approved("other-cbo")
    with as_caller(staff_caller(tenant_id)) as owner:
        source = owner.create_source({"name": "LB City College", "weekly_hour_cap": 14})
    with as_caller(OPERATOR) as operator:
        operator.grant_licence(tenant_id, {"feature": "evv", "starts_on": "2026-01-01"})

    with as_caller(system_caller(service="booking", tenant_id=other_id)) as elsewhere:
        with pytest.raises(NotFound):
            elsewhere.source_rules(source["id"], "2026-10-01")
        with pytest.raises(NotFound):  # it may only ask about its own CBO
            elsewhere.is_licensed(tenant_id, "evv", "2026-06-01")
        assert elsewhere.is_licensed(other_id, "evv", "2026-06-01") is False
    with as_caller(system_caller(service="billing")) as billing:  # a platform-wide job
        assert billing.is_licensed(tenant_id, "evv", "2026-06-01") is True
        assert billing.source_rules(source["id"], "2026-10-01")["cap_applies"] is True
        with pytest.raises(NotFound):
            billing.partners()  # partners belong to a CBO
    with as_caller(None) as anybody:
        with pytest.raises(Unauthenticated):
            anybody.source_rules(source["id"])
        with pytest.raises(Unauthenticated):
            anybody.is_licensed(tenant_id, "evv")


def test_committed_events_reach_the_broker(as_caller, config):
    """The service's outbox relay publishes what a call committed, to tenancy's exchange."""
    received: list[dict] = []

    def receive(body: dict, message) -> None:
        received.append(body)
        message.ack()

    queue = Queue(
        "test-tenancy-events",
        exchange=get_event_exchange("tenancy", config),
        routing_key="tenant.*",
        auto_delete=True,
    )
    with (
        Connection(config["AMQP_URI"]) as connection,
        connection.Consumer(queue, callbacks=[receive]),
    ):
        with as_caller(None) as anybody, as_caller(OPERATOR) as operator:
            tenant_id = anybody.apply(application("harbor-works"))["id"]
            operator.approve_tenant(tenant_id)
        deadline = time.monotonic() + 15
        while len(received) < 2 and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=1)
            except TimeoutError:
                continue
    assert [(e["event_type"], e["tenant_id"], e["source"]) for e in received] == [
        ("tenant.applied", tenant_id, "tenancy"),
        ("tenant.approved", tenant_id, "tenancy"),
    ]
    assert received[1]["data"]["owner_email"] == "owner@harbor-works.example.org"


def test_an_imports_progress_is_seen_by_others_while_it_runs(engine, monkeypatch):
    """The progress rows commit on their own while the clients do not yet."""
    from services.tenancy.clients import imports

    tenant_id = committed_cbo(engine)
    monkeypatch.setattr(imports, "CHUNK_SIZE", 10)
    seen: list[tuple[int, int, int]] = []
    original = imports._Run.progress

    def watch(self, progress):
        original(self, progress)
        with engine.connect() as other:  # another connection: only committed data
            job = other.execute(text("SELECT status, rows_done FROM client_imports")).one()
            clients = other.execute(text("SELECT count(*) FROM clients")).scalar_one()
        seen.append((job.rows_done, clients, self.created))
        assert job.status == "running"

    monkeypatch.setattr(imports._Run, "progress", watch)
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="tenancy")
        job = imports.run_import(
            uow,
            caller=staff_caller(tenant_id),
            tenant_id=tenant_id,
            file=uploaded(client_csv(35), "clients.csv"),
            mode="skip_bad_rows",
        )
        uow.commit()
    assert seen == [(10, 0, 10), (20, 0, 20), (30, 0, 30), (35, 0, 35)]
    assert job.status == "completed" and count(engine, "clients") == 35


def test_an_import_that_fails_midway_keeps_no_client_and_says_it_failed(engine, monkeypatch):
    """Nothing half-written: the clients of the chunks done roll back with the call, while the
    import's own record, kept apart, says it failed."""
    from services.tenancy.clients import imports

    tenant_id = committed_cbo(engine)
    monkeypatch.setattr(imports, "CHUNK_SIZE", 10)
    original = imports._Run.handle

    def fail_on_the_second_chunk(self, chunk):
        if self.created:
            raise RuntimeError("disk full")
        original(self, chunk)

    monkeypatch.setattr(imports._Run, "handle", fail_on_the_second_chunk)
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="tenancy")
        with pytest.raises(RuntimeError, match="disk full"):
            imports.run_import(
                uow,
                caller=staff_caller(tenant_id),
                tenant_id=tenant_id,
                file=uploaded(client_csv(35), "clients.csv"),
                mode="skip_bad_rows",
            )
        uow.rollback()
    with engine.connect() as conn:
        job = conn.execute(text("SELECT status, finished_at FROM client_imports")).one()
    assert job.status == "failed" and job.finished_at is not None
    assert count(engine, "clients") == 0
    assert count(engine, "outbox WHERE event_type = 'client.registered'") == 0


def test_two_cbos_proposing_to_each_other_at_once_make_one_proposal(engine):
    """Neither sees the other's proposal before it commits; the database's unique index
    decides, and the second is refused as a Conflict, never a duplicate or a 500."""
    from services.tenancy.partnerships import domain as partnerships

    a, b = committed_cbo(engine, slug="cbo-a"), committed_cbo(engine, slug="cbo-b")

    def propose(session: Session, proposer: str, partner_slug: str) -> dict:
        return partnerships.propose(
            UnitOfWork(session, source="tenancy"),
            caller=staff_caller(proposer),
            tenant_id=proposer,
            data={"partner_slug": partner_slug, "shares": ["job_types"], "message": ""},
        )

    with Session(engine) as first, Session(engine) as second:
        propose(first, a, "cbo-b")  # written, not yet committed
        answer = eventlet.spawn(propose, second, b, "cbo-a")
        wait_for(lambda: waiting_on_a_lock(engine), what="the second proposal to wait on the first")
        first.commit()
        with pytest.raises(Conflict, match="There is already a proposal between these CBOs."):
            answer.wait()
    assert count(engine, "partnerships") == 1


def committed_cbo(engine, **fields) -> str:
    """An approved CBO, committed (seen by every connection); returns its id."""
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="tenancy")
        tenant_id = a_cbo(uow, **fields).id
        uow.commit()
    return tenant_id


def waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )
