"""A call: one customer, at most one agent, and its lifecycle timestamps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from earshot.db import Base, UTCDateTime, utcnow


class CallStatus(StrEnum):
    queued = "queued"
    offered = "offered"
    active = "active"
    ended = "ended"


class Disposition(StrEnum):
    resolved = "resolved"
    unresolved = "unresolved"
    escalated = "escalated"
    follow_up = "follow_up"


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[CallStatus] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")  # web, phone
    customer_name: Mapped[str] = mapped_column(String(128))
    customer_email: Mapped[str | None] = mapped_column(String(256))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer_token_hash: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))  # hangup, dropped, abandoned, shutdown
    ended_by: Mapped[str | None] = mapped_column(String(16))  # customer, agent, system
    disposition: Mapped[Disposition | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    wrapped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
