"""The booking service's declarative base: every area's models.py defines its tables on it (its
own database, worklb_booking), with the id, time-stamp and range columns they share.

Every row that belongs to a CBO carries `tenant_id`, and every query over it filters by it.
Times are stored in UTC; availability is kept as minutes of the CBO's local week or day
(PostgreSQL multiranges), so a search checks it in the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, UserDefinedType


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())


def created_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def updated_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class _Int4MultiRangeDDL(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "int4multirange"


class MinuteRanges(TypeDecorator):
    """An int4multirange of minutes, as a list of (start, end) pairs, end excluded.

    psycopg2 does not adapt multiranges, so the value travels as PostgreSQL's text form
    ('{[540,780),[1980,2220)}'), which the server casts on write and returns on read."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(_Int4MultiRangeDDL())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return "{" + ",".join(f"[{int(s)},{int(e)})" for s, e in value) + "}"

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return parse_minute_ranges(value)


def parse_minute_ranges(text: str) -> list[tuple[int, int]]:
    """'{[540,780),[1980,2220)}' -> [(540, 780), (1980, 2220)] (PostgreSQL's canonical form)."""
    body = text.strip()[1:-1].strip()
    if not body:
        return []
    found = []
    for part in body.split("),"):
        start, end = part.strip("[]() ").split(",")
        found.append((int(start), int(end)))
    return found
