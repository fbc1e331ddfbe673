"""The chain's head per CBO and its signed seals (one per sealed batch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.evv.base import Base, created_column


class ChainHead(Base):
    """Where a CBO's chain ends: the next record is chained after this one."""

    __tablename__ = "chain_heads"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Seal(Base):
    """A batch of records chained at once: the hash of its last record, signed by the service
    (Ed25519 over rules.seal_message)."""

    __tablename__ = "chain_seals"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    # Which key signed it (the hex of its public half's first 16 bytes), so keys can rotate.
    key_id: Mapped[str] = mapped_column(String(32))
    sealed_at: Mapped[datetime] = created_column()

    __table_args__ = (Index("ix_chain_seals_tenant", "tenant_id"),)
