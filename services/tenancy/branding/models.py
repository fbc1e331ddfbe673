"""The branding area's own table: the logo. The rest of a CBO's branding lives on its row in
`tenants` (tenants/models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.tenancy.base import Base, updated_column


class Logo(Base):
    """A CBO's logo image (PNG, JPEG or WebP), served publicly with its branding."""

    __tablename__ = "logos"

    tenant_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    updated_at: Mapped[datetime] = updated_column()
