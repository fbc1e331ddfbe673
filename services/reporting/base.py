"""The reporting service's declarative base: every area's models.py defines its tables on
it (its own database, worklb_reporting).

Every row that belongs to a CBO carries `tenant_id`, and every query over it filters by it.
Times are stored in UTC; a day is the CBO's own calendar day (its time zone)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())


def created_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())
