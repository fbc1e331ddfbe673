"""The identity service's declarative base: every area's models.py defines its tables on it (its
own database, worklb_identity)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata


def new_id() -> str:
    return str(uuid.uuid4())
