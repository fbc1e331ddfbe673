"""Contract tests: every RPC one service offers another, called on the real identity and
tenancy services (real RabbitMQ, their migrated PostgreSQL databases) through the typed
clients, answers within its contract schema (the client loads every answer with it and raises
BrokenContract otherwise). And another service's system caller is refused by a @requires
entrypoint of tenancy that its own system passes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from chassis.context import Caller, context_data_for
from chassis.contracts.identity_rpc import Eligibility, IdentityClient
from chassis.contracts.permissions import BUILTIN_ROLES
from chassis.contracts.rpc import RPC_CONTRACTS
from chassis.contracts.tenancy_rpc import (
    FEATURES,
    SHARES,
    ClientRecord,
    LoginBox,
    MessageProfile,
    Partner,
    SourceRecord,
    SourceRules,
    TenancyClient,
    Term,
)
from chassis.db import make_engine
from chassis.errors import Forbidden, NotFound, ValidationFailed
from deploy.catalogue import SERVICE_CLASSES, load_class
from deploy.migrate import migrate

OPERATOR = Caller(
    kind="operator",
    user_id=str(uuid.uuid4()),
    roles=("operator",),
    permissions=BUILTIN_ROLES["operator"],
)


def owner_of(tenant_id: str) -> Caller:
    return Caller(
        kind="staff",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=("owner",),
        permissions=BUILTIN_ROLES["owner"],
    )


class StandaloneServices:
    """chassis.rpc.ServiceCaller's `call`, from a test: what the typed clients send through."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy
        self.called: list[tuple[str, str]] = []

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        self.called.append((service, method))
        return getattr(getattr(self.proxy, service), method)(*args, **kwargs)


def empty(engine) -> None:
    with engine.begin() as conn:
        # A killed container can leave a transaction open: end it, or TRUNCATE would wait.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%'"
            )
        )
        names = [t for t in engine.dialect.get_table_names(conn) if t != "alembic_version"]
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def engines(settings):
    migrate(settings, ["identity", "tenancy"], quiet=True)
    engines = [make_engine(settings.database_url(s)) for s in ("identity", "tenancy")]
    yield engines
    for engine in engines:
        engine.dispose()


@pytest.fixture
def as_caller(container_factory, service_config, settings, engines, smtp):
    """`with as_caller(caller) as services:` identity and tenancy, called as `caller`."""
    for engine in engines:
        empty(engine)
    config = service_config(smtp_port=smtp.port)
    for service in ("identity", "tenancy"):
        container_factory(load_class(SERVICE_CLASSES[service]), config).start()

    @contextmanager
    def open_as(caller: Caller) -> Iterator[StandaloneServices]:
        data = context_data_for(caller, settings.context_secret)
        with ClusterRpcProxy(config, context_data=data, timeout=30) as proxy:
            yield StandaloneServices(proxy)

    return open_as


@pytest.fixture
def cbos(as_caller) -> dict[str, Any]:
    """Two approved CBOs, partners sharing job types; the first with a capped worker source
    (in term from Aug 25 to Dec 15), an uncapped one, an allowed login-box origin and an evv
    licence."""
    made: dict[str, Any] = {}
    with as_caller(Caller()) as anybody, as_caller(OPERATOR) as operator:
        for slug in ("harbor", "bay"):
            applied = anybody.call(
                "tenancy",
                "apply",
                body={
                    "name": f"CBO {slug}",
                    "slug": slug,
                    "contact_name": "Carla Contact",
                    "contact_email": f"contact@{slug}.example.org",
                    "owner_name": "Olga Owner",
                    "owner_email": f"owner@{slug}.example.org",
                },
            )
            operator.call("tenancy", "approve_tenant", tenant_id=applied["id"])
            made[slug] = applied["id"]
        operator.call(
            "tenancy",
            "grant_licence",
            tenant_id=made["harbor"],
            body={"feature": "evv", "starts_on": "2026-01-01"},
        )
    with as_caller(owner_of(made["harbor"])) as owner:
        owner.call(
            "tenancy", "set_login_box", body={"allowed_origins": ["https://www.harbor.example.org"]}
        )
        made["college"] = owner.call(
            "tenancy",
            "create_source",
            body={
                "name": "City College",
                "weekly_hour_cap": 20,
                "terms": [{"starts_on": "2026-08-25", "ends_on": "2026-12-15"}],
            },
        )["id"]
        made["walk_ins"] = owner.call("tenancy", "create_source", body={"name": "Walk-ins"})["id"]
        made["partnership"] = owner.call(
            "tenancy", "propose_partnership", body={"partner_slug": "bay", "shares": ["job_types"]}
        )["id"]
    with as_caller(owner_of(made["bay"])) as owner:
        owner.call("tenancy", "accept_partnership", partnership_id=made["partnership"])
    return made


def test_tenancy_answers_every_contract(as_caller, cbos):
    harbor, bay = cbos["harbor"], cbos["bay"]
    with as_caller(Caller.system(service="booking", tenant_id=harbor)) as services:
        tenancy = TenancyClient(services)
        assert tenancy.login_box(slug="harbor") == LoginBox(
            tenant_id=harbor,
            slug="harbor",
            status="approved",
            allowed_origins=["https://www.harbor.example.org"],
        )
        with pytest.raises(NotFound):
            tenancy.login_box(slug="nobody")

        in_term = tenancy.source_rules(source_id=cbos["college"], on_date=date(2026, 10, 1))
        assert in_term == SourceRules(
            source_id=cbos["college"],
            name="City College",
            active=True,
            weekly_hour_cap=20.0,
            on_date=date(2026, 10, 1),
            in_term=True,
            cap_applies=True,
            term=Term(date(2026, 8, 25), date(2026, 12, 15)),
        )
        uncapped = tenancy.source_rules(source_id=cbos["walk_ins"])
        assert uncapped.weekly_hour_cap is None and uncapped.term is None
        assert isinstance(uncapped.on_date, date)  # today, in the CBO's time zone

        # Every feature in the contract is one tenancy knows.
        licensed = {f: tenancy.is_licensed(tenant_id=harbor, feature=f) for f in FEATURES}
        assert licensed == {"evv": True, "rebooking": False}
        assert tenancy.is_licensed(tenant_id=harbor, feature="evv", on_date="2025-12-31") is False

        assert tenancy.partners() == [Partner(cbos["partnership"], bay, ["job_types"])]
        by_share = {share: tenancy.partners(share=share) for share in SHARES}
        assert by_share == {"job_types": tenancy.partners(), "opportunities": [], "reports": []}
        with pytest.raises(ValidationFailed):
            tenancy.partners(share="secrets")

        assert tenancy.source_record(source_id=cbos["college"]) == SourceRecord(
            source_id=cbos["college"],
            name="City College",
            weekly_hour_cap=20.0,
            active=True,
            terms=[Term(date(2026, 8, 25), date(2026, 12, 15))],
        )
        assert tenancy.source_record(source_id=cbos["walk_ins"]).terms == []
        with pytest.raises(NotFound):
            tenancy.client_record(client_id="no-such-client")
    with as_caller(owner_of(harbor)) as owner:
        made = owner.call(
            "tenancy",
            "create_client",
            body={
                "name": "Port Cafe",
                "kind": "business",
                "billing_contact": "Bill Payer",
                "billing_email": "ap@port.example.com",
                "address_line1": "1 Pine Ave",
                "city": "Long Beach",
                "state": "CA",
                "postal_code": "90802",
            },
        )
    with as_caller(Caller.system(service="identity", tenant_id=harbor)) as services_of_identity:
        assert TenancyClient(services_of_identity).client_record(client_id=made["id"]) == (
            ClientRecord(client_id=made["id"], name="Port Cafe", active=True)
        )
    other_cbo = Caller.system(service="identity", tenant_id=bay)
    # Another CBO's client does not exist for it.
    with as_caller(other_cbo) as services_of_other, pytest.raises(NotFound):
        TenancyClient(services_of_other).client_record(client_id=made["id"])
    # The notifications service's timer (no tenant) names the CBO whose messages it writes;
    # booking may not ask.
    with as_caller(Caller.system(service="notifications")) as services_of_notifications:
        profile = TenancyClient(services_of_notifications).message_profile(tenant_id=harbor)
        assert profile == MessageProfile(
            tenant_id=harbor,
            display_name="CBO harbor",
            timezone="America/Los_Angeles",
            default_language="en",
            languages=profile.languages,
            terminology={},
        )
        assert "en" in profile.languages
        with pytest.raises(NotFound):
            TenancyClient(services_of_notifications).message_profile(tenant_id=str(uuid.uuid4()))
    with (
        as_caller(Caller.system(service="booking", tenant_id=harbor)) as booking,
        pytest.raises(Forbidden),
    ):
        TenancyClient(booking).message_profile()
    called = services.called + services_of_identity.called + services_of_notifications.called
    assert {method for _, method in called} == {
        method for service, method in RPC_CONTRACTS if service == "tenancy"
    }


def test_identity_answers_every_contract(as_caller, cbos, engines):
    someone = str(uuid.uuid4())
    with as_caller(Caller.system(service="booking", tenant_id=cbos["harbor"])) as services:
        identity = IdentityClient(services)
        eligibility = identity.is_eligible(jobseeker_id=someone, job_type="home_care")
        assert eligibility == Eligibility(
            jobseeker_id=someone,
            job_type="home_care",
            eligible=False,
            reasons=["There is no such job seeker in this CBO."],
        )
        assert identity.eligible_jobseekers(job_type="home_care") == []
        assert identity.eligible_jobseekers(job_type="home_care", jobseeker_ids=[someone]) == []
        assert (
            identity.eligible_jobseekers(
                job_type="home_care", jobseeker_ids=[someone], needs_job_type_approval=False
            )
            == []
        )
        # The service itself refuses more than 500 candidates (the client does too).
        with pytest.raises(ValidationFailed):
            services.call(
                "identity",
                "eligible_jobseekers",
                job_type="home_care",
                jobseeker_ids=[str(uuid.uuid4()) for _ in range(501)],
            )
    with as_caller(Caller.system(service="notifications")) as notifying:
        identity = IdentityClient(notifying)
        assert identity.contacts(account_ids=[someone], tenant_id=cbos["harbor"]) == []
        # The CBO's owner, invited when the city approved it, manages bookings once active.
        assert identity.staff_to_alert(permission="bookings.manage", tenant_id=cbos["harbor"]) == []
        with engines[0].begin() as conn:
            conn.execute(
                text("UPDATE accounts SET status = 'active' WHERE email = :email"),
                {"email": "owner@harbor.example.org"},
            )
        (owner,) = identity.staff_to_alert(permission="bookings.manage", tenant_id=cbos["harbor"])
        assert owner.kind == "staff" and owner.email == "owner@harbor.example.org"
        assert identity.contacts(account_ids=[owner.account_id], tenant_id=cbos["bay"]) == []
        assert identity.contacts(account_ids=[owner.account_id], tenant_id=cbos["harbor"]) == [
            owner
        ]
    with (
        as_caller(Caller.system(service="booking", tenant_id=cbos["harbor"])) as booking,
        pytest.raises(Forbidden),
    ):
        IdentityClient(booking).contacts(account_ids=[someone])
    # The gateway's renewal of its session answers: its system only.
    sessions = [
        {"account_id": owner.account_id, "generation": 0},
        {"account_id": someone, "generation": 0},
    ]
    with as_caller(Caller.system(service="gateway")) as gateway:
        answers = IdentityClient(gateway).session_statuses(sessions=sessions)
        assert [(a["account_id"], a["valid"]) for a in answers] == [
            (owner.account_id, True),
            (someone, False),
        ]
    with (
        as_caller(Caller.system(service="booking", tenant_id=cbos["harbor"])) as booking,
        pytest.raises(Forbidden),
    ):
        IdentityClient(booking).session_statuses(sessions=sessions)
    assert {method for _, method in services.called + notifying.called + gateway.called} == {
        method for service, method in RPC_CONTRACTS if service == "identity"
    }
    with as_caller(Caller.system(service="billing")) as services:
        # A platform-wide job names the CBO.
        platform_wide = IdentityClient(services)
        assert platform_wide.eligible_jobseekers(job_type="home_care", tenant_id=cbos["bay"]) == []


def test_another_services_system_is_refused_where_tenancys_own_is_not(as_caller, cbos):
    harbor = cbos["harbor"]
    with as_caller(Caller.system(service="booking", tenant_id=harbor)) as booking:
        with pytest.raises(Forbidden, match="booking service may not call this"):
            booking.call("tenancy", "list_clients", query={})
        with pytest.raises(Forbidden):
            booking.call("tenancy", "list_sources")
    with as_caller(Caller.system(service="tenancy", tenant_id=harbor)) as tenancy:
        assert tenancy.call("tenancy", "list_clients", query={})["total"] == 0
        assert tenancy.call("tenancy", "list_sources")["total"] == 2
