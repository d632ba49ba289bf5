"""A call: one customer, at most one agent, and its lifecycle timestamps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

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
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # the floor's "abandoned in the last hour"
    end_reason: Mapped[str | None] = mapped_column(String(32))  # hangup, dropped, abandoned, shutdown
    ended_by: Mapped[str | None] = mapped_column(String(16))  # customer, agent, system
    disposition: Mapped[Disposition | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    wrapped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Live state shared by every instance (none of it lives in one process):
    offered_to: Mapped[int | None] = mapped_column(Integer)  # the agent ringing now
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    customer_instance_id: Mapped[str | None] = mapped_column(String(32))  # whose socket holds the customer
    customer_connection_id: Mapped[str | None] = mapped_column(String(32))
    customer_grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # customer away until


class AgentSeat(Base):
    """An agent as every instance sees them: status, what they are busy with, where they are connected.

    `connection_id` names the one socket that holds the seat; a socket that is no longer it
    (replaced, or its instance declared dead) changes nothing when it closes.
    """

    __tablename__ = "agent_seats"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # AgentStatus
    call_id: Mapped[str | None] = mapped_column(String(32))
    idle_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When `status` last changed (the live floor's "time in state"); kept by `_status_changed`.
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instance_id: Mapped[str | None] = mapped_column(String(32))
    connection_id: Mapped[str | None] = mapped_column(String(32))
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # disconnected agent away until
    away_reason: Mapped[str | None] = mapped_column(String(16))  # AwayReason, set with "not available"

    @validates("status")
    def _status_changed(self, _key: str, status: str) -> str:
        # Every writer of a seat's status (many places in the hub) gets the clock for free.
        if status != self.status:
            self.status_since = utcnow()
        return status


class SeatDecline(Base):
    """A call an agent declined or missed: they are not offered it again while it waits."""

    __tablename__ = "seat_declines"

    user_id: Mapped[int] = mapped_column(ForeignKey("agent_seats.user_id", ondelete="CASCADE"), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class Instance(Base):
    """One running `earshot serve`; its heartbeat says it still holds its sockets."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
