"""The contracts between services hold: every event names its publisher, contract modules are
found without a list, a handler subscribes only where its event is published, a service emits
only its own events, every RPC contract matches the entrypoint it describes, the typed clients
check both ends, and the docs' event table is what the code says."""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from chassis.config import SERVICE_NAMES
from chassis.contracts import import_contract_modules
from chassis.contracts.booking_rpc import BookingClient
from chassis.contracts.catalogue import between_markers, contract_events, describe_field
from chassis.contracts.events import (
    ANY_SERVICE,
    CATALOGUE,
    ForeignEvent,
    UnknownEvent,
    build_envelope,
    check_publisher,
    event,
)
from chassis.contracts.identity_rpc import Eligibility, IdentityClient
from chassis.contracts.rpc import RPC_CONTRACTS, BrokenContract
from chassis.contracts.tenancy_rpc import Partner, SourceRules, TenancyClient, Term
from chassis.db import UnitOfWork
from chassis.entrypoints import Rpc, Subscription, event_handler, event_subscriptions
from chassis.errors import ValidationFailed
from chassis.service import ServiceBase
from deploy.catalogue import SERVICE_CLASSES, load_class
from deploy.event_catalogue import catalogue_block, subscriptions

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "chassis" / "contracts"


def subscription_problems(found: list[Subscription]) -> list[str]:
    problems = []
    for handler in found:
        try:
            check_publisher(handler.event_type, handler.source)
        except (UnknownEvent, ForeignEvent) as exc:
            problems.append(f"{handler.service}.{handler.method}: {exc}")
    return problems


# -- events ----------------------------------------------------------------------------------


def test_every_contract_module_is_found_without_a_list():
    on_disk = sorted(path.stem for path in CONTRACTS.glob("*_events.py"))
    assert import_contract_modules("_events") == on_disk
    assert sorted(p.stem for p in CONTRACTS.glob("*_rpc.py")) == import_contract_modules("_rpc")
    registered_by = {c.schema.__module__.rsplit(".", 1)[1] for c in contract_events()}
    assert registered_by == set(on_disk)


def test_every_event_names_a_service_that_publishes_it():
    for contract in contract_events():
        assert contract.publisher in (*SERVICE_NAMES, ANY_SERVICE), contract.event_type
        module = contract.schema.__module__.rsplit(".", 1)[1]
        if contract.publisher != ANY_SERVICE:
            # One module per publisher: identity's events in identity_events.py.
            assert module == f"{contract.publisher}_events", contract.event_type


def test_every_event_handler_subscribes_where_its_event_is_published():
    found = subscriptions()
    assert found, "no service has an event handler"
    assert subscription_problems(found) == []


def test_a_handler_at_the_wrong_source_or_of_an_unknown_event_is_caught():
    class Confused(ServiceBase):
        name = "confused"

        @event_handler("identity", "tenant.approved")
        def wrong_source(self, event) -> None: ...

        @event_handler("tenancy", "tenant.vanished")
        def unknown(self, event) -> None: ...

        @event_handler("tenancy", "tenant.approved")
        def right(self, event) -> None: ...

        @event_handler("billing", "audit.recorded")
        def any_service_event(self, event) -> None: ...

    problems = subscription_problems(event_subscriptions(Confused))
    assert len(problems) == 2
    assert "wrong_source" in problems[1] and "the tenancy service does" in problems[1]
    assert "unknown" in problems[0] and "tenant.vanished" in problems[0]


def test_an_event_cannot_be_registered_twice():
    class Another(Schema):
        account_id = fields.String(required=True)

    with pytest.raises(ValueError, match="registered twice"):
        event("account.created", publisher="tenancy")(Another)
    assert CATALOGUE["account.created"].publisher == "identity"


class RecordingSession:
    def __init__(self) -> None:
        self.statements: list[Any] = []

    def execute(self, statement, params=None) -> None:
        self.statements.append(statement)


def unit_of(service: str) -> tuple[UnitOfWork, RecordingSession]:
    session = RecordingSession()
    return UnitOfWork(session, source=service), session  # type: ignore[arg-type]


TENANT = {"tenant_id": "t1", "slug": "harbor", "name": "Harbor", "reason": "MOU lapsed"}


def test_emit_refuses_an_event_another_service_publishes():
    uow, session = unit_of("identity")
    with pytest.raises(ForeignEvent, match="identity does not publish 'tenant.suspended'"):
        uow.emit("tenant.suspended", TENANT, tenant_id="t1")
    with pytest.raises(ForeignEvent):
        uow.emit_many("tenant.suspended", [])
    with pytest.raises(UnknownEvent):
        uow.emit("tenant.vanished", {}, tenant_id="t1")
    assert session.statements == [] and uow.emitted == []


def test_emit_takes_the_services_own_events_and_those_any_service_publishes():
    uow, session = unit_of("tenancy")
    uow.emit("tenant.suspended", TENANT, tenant_id="t1")
    audit = {"actor_kind": "staff", "action": "x", "entity_type": "y", "entity_id": "z"}
    billing, _ = unit_of("billing")
    billing.emit("audit.recorded", audit, tenant_id="t1")
    assert len(session.statements) == 1 and uow.emitted[0]["source"] == "tenancy"
    assert billing.emitted[0]["source"] == "billing"


def test_building_an_envelope_for_another_publisher_is_refused():
    with pytest.raises(ForeignEvent):
        build_envelope("account.created", {}, source="tenancy", tenant_id=None)


# -- the event table in the docs -------------------------------------------------------------


def test_the_event_table_in_the_docs_is_current():
    docs = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    assert between_markers(docs) == catalogue_block(), (
        "docs/ARCHITECTURE.md's event table is stale: "
        "run .venv/bin/python -m deploy.event_catalogue --write docs/ARCHITECTURE.md"
    )


def test_the_table_lists_every_event_and_its_consumers():
    block = catalogue_block()
    for contract in contract_events():
        assert f"| `{contract.event_type}` v{contract.version} |" in block
    for handler in subscriptions():
        assert f"{handler.service} `{handler.method}`" in block
    assert "note.recorded" not in block  # tests' sample events stay out


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        (fields.String(required=True), "`f`"),
        (fields.String(allow_none=True), "`f` (optional, nullable)"),
        (fields.List(fields.String(), required=True), "`f` (list)"),
        (fields.Date(allow_none=True), "`f` (date; optional, nullable)"),
        (fields.String(required=True, metadata={"enum": ["a", "b"]}), "`f` (`a`/`b`)"),
        (fields.Integer(required=True, metadata={"description": "cents"}), "`f` (integer: cents)"),
    ],
)
def test_a_field_is_shown_with_its_type_choices_and_presence(field, shown):
    assert describe_field("f", field) == shown


# -- RPC contracts ---------------------------------------------------------------------------


def entrypoint(service: str, method: str):
    cls = load_class(SERVICE_CLASSES[service])
    function = getattr(cls, method, None)
    assert function is not None, f"{service} has no {method}"
    assert any(isinstance(e, Rpc) for e in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ())), (
        f"{service}.{method} is not an @rpc entrypoint"
    )
    return function


def test_every_offered_rpc_has_a_contract():
    assert set(RPC_CONTRACTS) == {
        ("billing", "shift_costs"),
        ("booking", "expire_offer"),
        ("booking", "expire_offers"),
        ("booking", "offer_next"),
        ("identity", "is_eligible"),
        ("identity", "eligible_jobseekers"),
        ("identity", "contacts"),
        ("identity", "staff_to_alert"),
        ("identity", "session_statuses"),
        ("tenancy", "login_box"),
        ("tenancy", "source_rules"),
        ("tenancy", "is_licensed"),
        ("tenancy", "partners"),
        ("tenancy", "client_record"),
        ("tenancy", "source_record"),
        ("tenancy", "message_profile"),
    }


@pytest.mark.parametrize("key", sorted(RPC_CONTRACTS), ids=lambda k: ".".join(k))
def test_each_rpc_contract_matches_its_entrypoints_parameters(key):
    contract = RPC_CONTRACTS[key]
    function = entrypoint(*key)
    assert hasattr(function, "required_permission")
    parameters = dict(list(inspect.signature(function).parameters.items())[1:])
    request = contract.request.fields
    assert set(request) == set(parameters), key
    for name, parameter in parameters.items():
        assert request[name].required == (parameter.default is inspect.Parameter.empty), name


@pytest.mark.parametrize(
    ("client_cls", "service"),
    [(BookingClient, "booking"), (IdentityClient, "identity"), (TenancyClient, "tenancy")],
)
def test_each_client_offers_every_contract_of_its_service(client_cls, service):
    methods = {name for name, _ in inspect.getmembers(client_cls, inspect.isfunction)}
    offered = {method for (owner, method) in RPC_CONTRACTS if owner == service}
    assert offered <= methods and client_cls.service == service


class FakeServices:
    """Answers with `answer`, remembering each call."""

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, dict]] = []

    def call(self, service: str, method: str, **kwargs: Any) -> Any:
        self.calls.append((service, method, kwargs))
        return self.answer


RULES = {
    "source_id": "s1",
    "name": "City College",
    "active": True,
    "weekly_hour_cap": 20.0,
    "on_date": "2026-10-01",
    "in_term": True,
    "cap_applies": True,
    "term": {"starts_on": "2026-08-25", "ends_on": "2026-12-15"},
}


def test_the_client_sends_valid_arguments_as_json_and_loads_the_answer():
    services = FakeServices(RULES)
    rules = TenancyClient(services).source_rules(source_id="s1", on_date=date(2026, 10, 1))
    assert services.calls == [
        ("tenancy", "source_rules", {"source_id": "s1", "on_date": "2026-10-01"})
    ]
    assert rules == SourceRules(
        source_id="s1",
        name="City College",
        active=True,
        weekly_hour_cap=20.0,
        on_date=date(2026, 10, 1),
        in_term=True,
        cap_applies=True,
        term=Term(date(2026, 8, 25), date(2026, 12, 15)),
    )


def test_the_client_refuses_a_bad_request_before_sending_it():
    services = FakeServices(True)
    with pytest.raises(ValidationFailed) as refused:
        TenancyClient(services).is_licensed(tenant_id=None, feature="payroll", on_date="soon")  # type: ignore[arg-type]
    assert set(refused.value.fields) == {"tenant_id", "feature", "on_date"}
    with pytest.raises(ValidationFailed):
        TenancyClient(services).partners(share="secrets")
    assert services.calls == []


def test_an_answer_outside_the_contract_is_a_broken_contract():
    with pytest.raises(BrokenContract, match="tenancy.source_rules"):
        TenancyClient(FakeServices({**RULES, "on_date": None})).source_rules(source_id="s1")
    with pytest.raises(BrokenContract):
        TenancyClient(FakeServices("yes")).is_licensed(tenant_id="t1", feature="evv")
    with pytest.raises(BrokenContract):
        IdentityClient(FakeServices([None])).eligible_jobseekers(job_type="home_care")


def test_lists_and_bare_values_load_as_typed_values():
    partners = TenancyClient(
        FakeServices([{"partnership_id": "p1", "tenant_id": "t2", "shares": ["job_types"]}])
    ).partners(share="job_types")
    assert partners == [Partner("p1", "t2", ["job_types"])]
    assert TenancyClient(FakeServices(False)).is_licensed(tenant_id="t1", feature="evv") is False
    eligibility = IdentityClient(
        FakeServices({"jobseeker_id": "j", "job_type": "x", "eligible": True, "reasons": []})
    ).is_eligible(jobseeker_id="j", job_type="x")
    assert eligibility == Eligibility("j", "x", True, [])


def test_a_timeout_is_passed_on_only_when_given():
    services = FakeServices(["j1"])
    IdentityClient(services, timeout=2.5).eligible_jobseekers(job_type="x")
    IdentityClient(services).eligible_jobseekers(job_type="x", jobseeker_ids=["j1"])
    assert services.calls[0][2]["timeout"] == 2.5
    assert "timeout" not in services.calls[1][2]


def test_eligible_jobseekers_asks_about_job_type_approval_and_at_most_500_ids():
    services = FakeServices(["j1"])
    identity = IdentityClient(services)
    assert identity.eligible_jobseekers(job_type="x", jobseeker_ids=["j1", "j2"]) == ["j1"]
    identity.eligible_jobseekers(
        job_type="x", jobseeker_ids=["j1"], tenant_id="t1", needs_job_type_approval=False
    )
    assert services.calls[0][2]["needs_job_type_approval"] is True
    assert services.calls[1][2] == {
        "job_type": "x",
        "jobseeker_ids": ["j1"],
        "tenant_id": "t1",
        "needs_job_type_approval": False,
    }
    for ids in ([f"j{n}" for n in range(501)], [""], ["x" * 65]):
        with pytest.raises(ValidationFailed) as refused:
            identity.eligible_jobseekers(job_type="x", jobseeker_ids=ids)
        assert "jobseeker_ids" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        identity.eligible_jobseekers(job_type="x", needs_job_type_approval="maybe")  # type: ignore[arg-type]
    assert "needs_job_type_approval" in refused.value.fields
    assert len(services.calls) == 2
    identity.eligible_jobseekers(job_type="x", jobseeker_ids=[f"j{n}" for n in range(500)])
    assert len(services.calls[2][2]["jobseeker_ids"]) == 500


@pytest.mark.parametrize("job_type", ["Home Care!", "", "home care", "x" * 65, "forklift\n"])
def test_a_job_type_outside_the_key_format_is_refused_before_sending(job_type):
    from chassis.contracts.identity_rpc import IdentityClient

    class NeverCalled:
        def call(self, *args, **kwargs):
            raise AssertionError("a bad request must not be sent")

    with pytest.raises(ValidationFailed) as refused:
        IdentityClient(NeverCalled()).is_eligible(jobseeker_id="j", job_type=job_type)
    assert "job_type" in refused.value.fields
