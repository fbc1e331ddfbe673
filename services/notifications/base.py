"""The notifications service's declarative base: every area's models.py defines its tables on
it (its own database, worklb_notifications)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
