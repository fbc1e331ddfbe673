"""Job types (roles) a CBO books workers for; a client-exclusive one belongs to one client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.booking.base import Base, created_column, new_id, updated_column
from services.booking.jobtypes.rules import pay_rate_is_fixed


class JobType(Base):
    __tablename__ = "job_types"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(36))
    # The key identity's per-job-type approvals use (chassis.contracts.identity_rpc.JOB_TYPE_KEY).
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    # Workers need identity's approval for this job type before they are offered it.
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    pay_rate_cents: Mapped[int] = mapped_column(Integer)  # per hour
    bill_rate_cents: Mapped[int] = mapped_column(Integer)  # per hour
    min_shift_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # A client-exclusive job type: only this client (and staff acting for it) sees or books it,
    # at its fixed pay rate; None for a job type every client of the CBO may book.
    client_id: Mapped[str | None] = mapped_column(String(36))
    requirements: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (
        Index("uq_job_types_tenant_key", "tenant_id", "key", unique=True),
        Index("uq_job_types_tenant_name", "tenant_id", text("lower(name)"), unique=True),
    )

    @property
    def fixed_pay_rate(self) -> bool:
        """A client-exclusive job type's pay rate is fixed; a CBO-wide one's is a default."""
        return pay_rate_is_fixed(self.client_id)
