"""Read models of the metrics: per-call facts, the agent state log, and anomaly alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from earshot.db import Base, UTCDateTime


class CallFactsRow(Base):
    """One call's `CallFacts` (see kpi.py), derived from its events when it ends and when it is wrapped up.

    Times are kept as epoch seconds too, so SQL can bucket and subtract them alike on SQLite and PostgreSQL.
    """

    __tablename__ = "call_facts"
    __table_args__ = (
        Index("ix_call_facts_queued_epoch", "queued_epoch"),
        Index("ix_call_facts_agent_queued", "agent_id", "queued_epoch"),
    )

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_epoch: Mapped[int] = mapped_column(BigInteger)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(16))
    handled: Mapped[bool] = mapped_column(Boolean)
    abandoned: Mapped[bool] = mapped_column(Boolean)
    wrapped: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean)
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    wrap_s: Mapped[float | None] = mapped_column(Float)
    handle_s: Mapped[float | None] = mapped_column(Float)
    first_response_s: Mapped[float | None] = mapped_column(Float)
    sentiment_sum: Mapped[float] = mapped_column(Float)
    sentiment_count: Mapped[int] = mapped_column(Integer)
    ended_negative: Mapped[bool] = mapped_column(Boolean)
    suggestions: Mapped[int] = mapped_column(Integer)
    suggestions_rated: Mapped[int] = mapped_column(Integer)
    suggestions_accepted: Mapped[int] = mapped_column(Integer)
    reconnects: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(32))


class AgentEvent(Base):
    """An agent's state from `at` on: available, unavailable, offered, in_call, wrap_up or offline."""

    __tablename__ = "agent_events"
    __table_args__ = (Index("ix_agent_events_agent_epoch", "agent_id", "at_epoch"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    at_epoch: Mapped[float] = mapped_column(Float, index=True)


class MetricAlert(Base):
    """A KPI that drifted from its own recent history; listed until a supervisor acknowledges it."""

    __tablename__ = "metric_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi: Mapped[str] = mapped_column(String(48))
    scope: Mapped[str] = mapped_column(String(48))  # "all", or "agent:<id>"
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
