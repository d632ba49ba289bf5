"""Read models of the metrics: per-call facts, the agent state log, and anomaly alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from earshot.db import Base, UTCDateTime


# Flags are 0/1 integers, not booleans, so that SUM() adds them up alike on SQLite and PostgreSQL.
COVERED = (
    "channel", "disposition", "handled", "abandoned", "answer_s", "handle_s", "first_response_s", "wrapped",
    "resolved", "sentiment_sum", "sentiment_count", "scored", "ended_negative", "suggestions_rated",
    "suggestions_accepted",
)


class CallFactsRow(Base):
    """One call's `CallFacts` (see kpi.py), derived from its events when it ends and when it is wrapped up.

    Times are kept as epoch seconds too, so SQL can bucket and subtract them alike on SQLite and PostgreSQL.
    """

    __tablename__ = "call_facts"
    __table_args__ = (
        # Covering indexes: the dashboard's aggregates read the index alone, in period or in agent order.
        Index("ix_call_facts_period", "queued_epoch", "agent_id", "reason", *COVERED),
        Index("ix_call_facts_agent_period", "agent_id", "queued_epoch", "reason", *COVERED),
    )

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_epoch: Mapped[int] = mapped_column(BigInteger)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(16))
    handled: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    wait_s: Mapped[float | None] = mapped_column(Float)  # in queue, to the answer or to the end
    answer_s: Mapped[float | None] = mapped_column(Float)  # in queue, for answered calls only
    talk_s: Mapped[float | None] = mapped_column(Float)
    wrap_s: Mapped[float | None] = mapped_column(Float)
    handle_s: Mapped[float | None] = mapped_column(Float)
    first_response_s: Mapped[float | None] = mapped_column(Float)
    sentiment_sum: Mapped[float] = mapped_column(Float)
    sentiment_count: Mapped[int] = mapped_column(Integer)
    scored: Mapped[int] = mapped_column(Integer)  # 1 when sentiment_count > 0
    ended_negative: Mapped[int] = mapped_column(Integer)
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


class AgentTime(Base):
    """Seconds each agent was busy (in a call or wrap-up) and present (logged in, not unavailable) per 15 minutes.

    Derived from `agent_events` as each state ends; the state still in force is added at query time.
    """

    __tablename__ = "agent_time"
    __table_args__ = (
        Index("ix_agent_time_bucket", "bucket_epoch", "agent_id", "busy_s", "present_s"),
        Index("ix_agent_time_agent", "agent_id", "bucket_epoch", "busy_s", "present_s"),
    )

    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    busy_s: Mapped[float] = mapped_column(Float)
    present_s: Mapped[float] = mapped_column(Float)


class AgentDay(Base):
    """The same seconds as `agent_time`, per agent and UTC day: what a period of whole days reads."""

    __tablename__ = "agent_days"
    __table_args__ = (Index("ix_agent_days_day", "day_epoch", "agent_id", "busy_s", "present_s"),)

    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    busy_s: Mapped[float] = mapped_column(Float)
    present_s: Mapped[float] = mapped_column(Float)


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
