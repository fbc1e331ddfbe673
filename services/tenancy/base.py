"""The tenancy service's declarative base: every area's models.py defines its tables on it (its
own database, worklb_tenancy), with the id and time-stamp columns they all share.

Every row that belongs to a CBO carries `tenant_id`, and every query over it filters by it.
Files (logos, MOU documents) live in their own tables or deferred columns, so that ordinary
reads never drag their bytes along.
"""

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


def updated_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
