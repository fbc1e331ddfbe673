"""The reporting service's tables (its own database, worklb_reporting)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
