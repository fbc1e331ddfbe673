import pytest

from chassis.context import (
    Caller,
    caller_from_context_data,
    context_data_for,
    requires,
)
from chassis.errors import Forbidden, Unauthenticated

SECRET = "s" * 48


def staff(*permissions: str) -> Caller:
    return Caller(kind="staff", user_id="u1", tenant_id="t1", permissions=frozenset(permissions))


def test_signed_caller_survives_the_trip():
    caller = staff("jobseekers.read")
    received = caller_from_context_data(context_data_for(caller, SECRET), SECRET)
    assert received == caller


def test_forged_caller_becomes_anonymous():
    data = context_data_for(staff("jobseekers.read"), SECRET)
    data["worklb.caller"] = data["worklb.caller"].replace('"t1"', '"t2"')
    received = caller_from_context_data(data, SECRET)
    assert not received.authenticated
    assert received.tenant_id is None


def test_caller_signed_with_another_secret_is_anonymous():
    data = context_data_for(staff(), "x" * 48)
    assert caller_from_context_data(data, SECRET).kind == "anonymous"


def test_missing_context_is_anonymous_but_keeps_correlation_id():
    received = caller_from_context_data({"correlation_id": "abc123"}, SECRET)
    assert received.kind == "anonymous"
    assert received.correlation_id == "abc123"


def test_require_refuses_without_permission():
    with pytest.raises(Forbidden, match="jobseekers.approve"):
        staff("jobseekers.read").require("jobseekers.approve")
    with pytest.raises(Unauthenticated):
        Caller().require("jobseekers.read")
    staff("jobseekers.approve").require("jobseekers.approve")


def test_system_caller_may_do_anything_in_its_own_service_within_its_tenant():
    system = Caller.system(service="billing", tenant_id="t9").received_by("billing")
    system.require("payroll.run")
    assert system.require_tenant() == "t9"


def test_require_tenant_refuses_the_operator():
    operator = Caller(kind="operator", user_id="op", permissions=frozenset({"platform.operate"}))
    with pytest.raises(Forbidden):
        operator.require_tenant()


def test_requires_decorator_checks_the_services_caller():
    class Service:
        def __init__(self, caller):
            self.caller = caller

        @requires("bookings.manage")
        def book(self):
            return "booked"

    assert Service(staff("bookings.manage")).book() == "booked"
    with pytest.raises(Forbidden):
        Service(staff("bookings.read")).book()
    assert Service.book.required_permission == "bookings.manage"


def test_every_domain_error_crosses_rpc_as_itself():
    from nameko.exceptions import deserialize, serialize

    from chassis.csv_import import MalformedCsv
    from chassis.errors import DomainError

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in {DomainError, MalformedCsv, *subclasses(DomainError)}:
        original = cls("it went wrong", {"field": ["why"]})
        rebuilt = deserialize(serialize(original))
        assert type(rebuilt) is cls
        assert rebuilt.fields == {"field": ["why"]} and rebuilt.status == original.status


def test_database_value_errors_become_validation_failures():
    import sys

    from sqlalchemy.exc import DataError

    from chassis.entrypoints import translate_error
    from chassis.errors import ValidationFailed

    try:
        raise DataError("SELECT", {}, Exception("bigint out of range"))
    except DataError:
        translated = translate_error(sys.exc_info())
    assert isinstance(translated[1], ValidationFailed)
