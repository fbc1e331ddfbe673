import uuid

import pytest
from marshmallow import ValidationError

from chassis.contracts.events import CATALOGUE, UnknownEvent, build_envelope, parse_envelope


def test_envelope_round_trip_carries_everything_an_event_needs():
    envelope = build_envelope(
        "account.created",
        {"account_id": "a1", "kind": "staff", "roles": ["approver"]},
        source="identity",
        tenant_id="t1",
        correlation_id="c1",
    )
    assert set(envelope) == {
        "event_id",
        "event_type",
        "schema_version",
        "tenant_id",
        "occurred_at",
        "correlation_id",
        "source",
        "data",
    }
    event = parse_envelope(envelope)
    assert uuid.UUID(event.event_id)
    assert event.tenant_id == "t1"
    assert event.schema_version == CATALOGUE["account.created"].version
    assert event.data == {"account_id": "a1", "kind": "staff", "roles": ["approver"]}
    assert event.occurred_at.tzinfo is not None


def test_unregistered_event_is_refused():
    with pytest.raises(UnknownEvent):
        build_envelope("nothing.happened", {}, source="x", tenant_id=None)


def test_payload_that_breaks_its_schema_is_refused():
    with pytest.raises(ValidationError):
        build_envelope("account.created", {"kind": "staff"}, source="identity", tenant_id=None)


@pytest.mark.parametrize("body", [None, [], "text", {"event_type": "account.created"}])
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(ValidationError):
        parse_envelope(body)


# Past tenses that do not end in -ed, and the one fact named by its noun (the issue's).
IRREGULAR_PAST = {"sent", "withdrawn", "paid"}
NAMED_FACTS = {"worker.no_show"}


def test_event_names_follow_the_house_rule():
    for name in CATALOGUE:
        noun, _, verb = name.partition(".")
        last = verb.rsplit("_", 1)[-1]
        past = verb.endswith("ed") or last in IRREGULAR_PAST or name in NAMED_FACTS
        assert noun and past, name


def test_bulk_shape_check_still_refuses_a_missing_required_field():
    with pytest.raises(ValidationError):
        build_envelope(
            "account.created",
            {"kind": "staff", "roles": []},
            source="identity",
            tenant_id=None,
            full_check=False,
        )
    envelope = build_envelope(
        "account.created",
        {"account_id": "a", "kind": "staff", "roles": []},
        source="identity",
        tenant_id=None,
        full_check=False,
    )
    assert envelope["data"]["account_id"] == "a"
