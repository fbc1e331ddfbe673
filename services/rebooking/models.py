"""The rebooking service's tables (its own database, worklb_rebooking)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
