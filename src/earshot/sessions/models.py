"""The call event log: every event of every call, in order; the source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from earshot.calls.models import Call
from earshot.db import Base, UTCDateTime


class CallEvent(Base):
    __tablename__ = "call_events"
    __table_args__ = (
        UniqueConstraint("call_id", "seq", name="uq_call_events_call_seq"),
        Index("ix_call_events_type_created", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offset_ms: Mapped[int] = mapped_column(Integer)


class CallHistoryRow(Base):
    """What the history filters on that the `calls` row does not hold, derived from the log when a call ends.

    `id` is also the rowid of the call's text in the SQLite `call_search` index (see search.py).
    """

    __tablename__ = "call_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    lowest_sentiment: Mapped[float | None] = mapped_column(Float, index=True)
    had_alert: Mapped[int] = mapped_column(Integer)  # 0/1
    summary: Mapped[str | None] = mapped_column(Text)


# Sorting the history by mood walks this index; calls with no sentiment come after every scored one.
SENTIMENT_ORDER = func.coalesce(CallHistoryRow.lowest_sentiment, literal_column("9.0"))
Index("ix_call_history_sentiment_order", SENTIMENT_ORDER, CallHistoryRow.call_id)

# The history's filters on `calls` (an agent's calls by date; date ranges with a stable order).
Index("ix_calls_agent_queued", Call.agent_id, Call.queued_at)
Index("ix_calls_queued_id", Call.queued_at, Call.id)
