"""The service scope of a system caller: at home it may do anything; in another service it
passes only @public entrypoints and those opened to it with @for_services."""

import inspect

import pytest

from chassis.config import SERVICE_NAMES
from chassis.context import (
    Caller,
    caller_from_context_data,
    context_data_for,
    for_services,
    public,
    requires,
    requires_any,
)
from chassis.errors import Forbidden, Unauthenticated, ValidationFailed
from deploy.catalogue import SERVICE_CLASSES, load_class

SECRET = "s" * 48


def system_of(service: str, *, in_service: str, tenant_id: str | None = "t1") -> Caller:
    return Caller.system(service=service, tenant_id=tenant_id).received_by(in_service)


class Billing:
    """A stand-in service class: entrypoints as a real service declares them."""

    name = "billing"

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    @requires("payroll.run")
    def run_payroll(self) -> str:
        return "ran"

    @requires("payroll.run")
    @for_services("booking", "rebooking")
    def invoice_lines(self) -> str:
        return "lines"

    @for_services("evv")
    @requires("timesheets.approve")
    def timesheet_totals(self) -> str:
        return "totals"

    @requires_any("payroll.run", "reports.read")
    @for_services("reporting")
    def payroll_summary(self) -> str:
        return "summary"

    @public
    def health(self) -> str:
        return "up"


def test_the_system_of_a_service_may_do_anything_in_that_service():
    home = system_of("billing", in_service="billing")
    assert home.is_home_system
    assert home.can("payroll.run") and home.can("platform.operate")
    service = Billing(home)
    assert service.run_payroll() == "ran"
    assert service.timesheet_totals() == "totals"
    assert service.payroll_summary() == "summary"


def test_the_system_of_another_service_is_refused_by_requires():
    visitor = system_of("booking", in_service="billing")
    assert visitor.is_system and not visitor.is_home_system
    assert not visitor.can("payroll.run")
    with pytest.raises(Forbidden, match="The booking service may not call this"):
        Billing(visitor).run_payroll()
    with pytest.raises(Forbidden):
        Billing(system_of("booking", in_service="billing")).timesheet_totals()
    with pytest.raises(Forbidden):
        Billing(visitor).payroll_summary()


def test_an_entrypoint_opened_to_a_service_lets_its_system_in_whichever_order_it_is_stacked():
    assert Billing(system_of("booking", in_service="billing")).invoice_lines() == "lines"
    assert Billing(system_of("rebooking", in_service="billing")).invoice_lines() == "lines"
    assert Billing(system_of("evv", in_service="billing")).timesheet_totals() == "totals"
    assert Billing(system_of("reporting", in_service="billing")).payroll_summary() == "summary"
    with pytest.raises(Forbidden):
        Billing(system_of("evv", in_service="billing")).invoice_lines()


def test_opening_an_entrypoint_to_services_lets_no_person_in_without_the_permission():
    person = Caller(kind="staff", user_id="u", tenant_id="t1", permissions=frozenset())
    with pytest.raises(Forbidden):
        Billing(person).invoice_lines()
    with pytest.raises(Forbidden):
        Billing(person).payroll_summary()
    with pytest.raises(Unauthenticated):
        Billing(Caller()).invoice_lines()
    payroll = Caller(
        kind="staff", user_id="u", tenant_id="t1", permissions=frozenset({"payroll.run"})
    )
    assert Billing(payroll).invoice_lines() == "lines"


def test_public_entrypoints_are_open_to_every_service():
    assert Billing(system_of("booking", in_service="billing")).health() == "up"


def test_the_decorators_record_what_the_architecture_test_and_openapi_read():
    assert Billing.invoice_lines.required_permission == "payroll.run"
    assert Billing.invoice_lines.open_to_services == {"booking", "rebooking"}
    assert Billing.timesheet_totals.required_permission == "timesheets.approve"
    assert Billing.timesheet_totals.open_to_services == {"evv"}
    assert Billing.payroll_summary.open_to_services == {"reporting"}
    assert not hasattr(Billing.run_payroll, "open_to_services")


def test_a_public_entrypoint_cannot_be_opened_to_services():
    with pytest.raises(TypeError, match="public"):

        @for_services("booking")
        @public
        def health(self) -> None: ...

    with pytest.raises(TypeError):
        for_services()


def test_a_system_caller_without_a_receiver_has_no_rights():
    """Outside a worker nobody said where the caller is: it is at home nowhere."""
    loose = Caller.system(service="billing", tenant_id="t1")
    assert not loose.is_home_system and not loose.can("payroll.run")


def test_the_service_travels_signed_but_the_receiver_is_set_by_whoever_receives():
    sent = Caller.system(service="booking", tenant_id="t1").received_by("booking")
    data = context_data_for(sent, SECRET)
    assert "receiving_service" not in data["worklb.caller"]
    received = caller_from_context_data(data, SECRET)
    assert received.service == "booking" and received.receiving_service is None
    assert received.received_by("billing").is_home_system is False
    assert received.received_by("booking").is_home_system is True


def test_a_system_caller_names_its_service():
    with pytest.raises(TypeError):
        Caller.system(tenant_id="t1")  # type: ignore[call-arg]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_entrypoints_open_only_to_other_known_services_and_beside_a_permission(service):
    cls = load_class(SERVICE_CLASSES[service])
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        open_to = getattr(method, "open_to_services", None)
        if open_to is None:
            continue
        assert getattr(method, "required_permission", None) is not None, (
            f"{service}.{name}: @for_services belongs beside @requires or @requires_any"
        )
        # The gateway is known too: its timer renews the session answers as its own system.
        known = (set(SERVICE_NAMES) | {"gateway"}) - {service}
        assert open_to <= known, f"{service}.{name}: {sorted(open_to)}"


def test_a_callers_scope_for_other_services_rpcs():
    cbo = Caller(kind="staff", user_id="u", tenant_id="t")
    assert cbo.service_scope() == "t"
    assert cbo.tenant_asked_about(None) == "t" and cbo.tenant_asked_about("t") == "t"
    with pytest.raises(Forbidden):
        cbo.tenant_asked_about("another")
    platform_job = Caller.system(service="booking")
    assert platform_job.service_scope() is None
    assert platform_job.tenant_asked_about("t") == "t"
    with pytest.raises(ValidationFailed) as unnamed:
        platform_job.tenant_asked_about(None)
    assert "tenant_id" in unnamed.value.fields
    with pytest.raises(Unauthenticated):
        Caller().service_scope()
    with pytest.raises(Forbidden):  # a job seeker of no CBO acts for nobody
        Caller(kind="jobseeker", user_id="u").service_scope()
