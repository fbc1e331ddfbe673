"""The tenancy service's tables (its own database, worklb_tenancy)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
