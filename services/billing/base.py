"""The billing service's declarative base: every area's models.py defines its tables on it (its own
database, worklb_billing), with the id and time-stamp columns they share.

Every row that belongs to a CBO carries `tenant_id`, and every query over it filters by it.
Times are stored in UTC; money in integer cents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import DateTime, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())


def created_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def updated_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


def as_time(value: Any) -> datetime:
    """A date-time of an event's data (loaded by its schema, or ISO text on the wire)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def as_day(value: Any) -> date:
    """A date of an event's data (loaded by its schema, or ISO text on the wire)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)
