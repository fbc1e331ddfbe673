"""chassis.schemas.flat_dumper writes what `Schema.dump` writes, for every event's schema and
for the values a caller may hand it (native types, look-alikes, None, keys left out)."""

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import Schema, fields, post_dump

from chassis.contracts.events import CATALOGUE
from chassis.schemas import flat_dumper


class _Text(str):
    """A str subclass: marshmallow writes str(value), which is a plain str."""


def _values(field: fields.Field, rng: random.Random) -> list:
    kind = type(field)
    if kind in (fields.String, fields.Email, fields.Url):
        return ["plain", "ñandú ក", _Text("sub"), 42]
    if kind is fields.Integer:
        return [0, -7, 2**40, True, 3.0, "12"]
    if kind is fields.Boolean:
        return [True, False, 1, 0]
    if kind in (fields.DateTime, fields.AwareDateTime, fields.NaiveDateTime):
        moment = datetime(2026, 3, 8, 9, 30, 15, rng.randrange(1_000_000), tzinfo=UTC)
        return [
            moment,
            moment.replace(tzinfo=None),
            moment.astimezone(timezone(timedelta(hours=-8))),
        ]
    if kind is fields.Date:
        return [date(2026, 11, 30)]
    if kind is fields.Decimal:
        return [Decimal("12.50")]
    if kind is fields.List:
        return [[], ["a", "b"]]
    if kind is fields.Dict:
        return [{}, {"a": 1}]
    return [None]


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_every_event_schema_dumps_the_same(event_type):
    schema = CATALOGUE[event_type].schema()
    dump = flat_dumper(schema)
    rng = random.Random(event_type)
    for _ in range(20):
        data = {}
        for name, field in schema.fields.items():
            choice = rng.random()
            if choice < 0.1:
                continue  # left out
            if choice < 0.2:
                data[name] = None
                continue
            options = _values(field, rng)
            data[name] = options[rng.randrange(len(options))]
        try:
            expected = schema.dump(data)
        except Exception as error:  # a value the field cannot write: so must the fast path
            with pytest.raises(type(error)):
                dump(data)
            continue
        assert dump(data) == expected
        assert [type(v) for v in dump(data).values()] == [type(v) for v in expected.values()]


class _Keyed(Schema):
    name = fields.String(data_key="fullName")
    count = fields.Integer(dump_default=3)
    hidden = fields.String(load_only=True)
    items = fields.String()  # a dict's attribute: marshmallow reads dict.items when left out


class _Hooked(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {k: v.upper() for k, v in data.items()}


def test_data_keys_defaults_load_only_and_hooks_as_marshmallow():
    keyed = _Keyed()
    for data in ({"name": "a", "hidden": "x", "items": "i"}, {"count": 9}, {}):
        assert flat_dumper(keyed)(data) == keyed.dump(data)
    assert flat_dumper(_Hooked())({"name": "b"}) == {"name": "B"}


class _Dotted(Schema):
    inner = fields.String(data_key="a.b")


class _OwnReading(Schema):
    name = fields.String()

    def get_attribute(self, obj, attr, default):
        return str(obj.get(attr, default)).upper()


def test_dotted_names_and_a_schemas_own_reading_as_marshmallow():
    dotted = Schema.from_dict({"a.b": fields.String()})()
    data = {"a": {"b": "nested"}, "a.b": "flat"}
    assert flat_dumper(dotted)(data) == dotted.dump(data) == {"a.b": "nested"}
    assert flat_dumper(_Dotted())({"inner": "x"}) == _Dotted().dump({"inner": "x"})
    assert flat_dumper(_OwnReading())({"name": "quiet"}) == {"name": "QUIET"}


def test_an_object_not_a_dict_goes_through_the_schema():
    class Thing:
        name = "thing"

    assert flat_dumper(_Keyed())(Thing()) == _Keyed().dump(Thing())
