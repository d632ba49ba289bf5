"""Whether a call is on hold, read from its event log (the last of `call_held` / `call_resumed`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import Call
from earshot.calls.recorder import Transaction
from earshot.db import utcnow
from earshot.sessions.models import CallEvent


async def held_since(session: AsyncSession, call_id: str) -> datetime | None:
    """When the call's current hold began; None when it is not on hold."""
    result = await session.execute(
        select(CallEvent.type, CallEvent.created_at)
        .where(CallEvent.call_id == call_id, CallEvent.type.in_(("call_held", "call_resumed")))
        .order_by(CallEvent.seq.desc())
        .limit(1)
    )
    last = result.first()
    return last.created_at if last is not None and last.type == "call_held" else None


async def log_resumed(tx: Transaction, call: Call, since: datetime) -> None:
    """Log the end of the hold that began at `since`, with its length."""
    await tx.log(call, "call_resumed", held_ms=max(0, round((utcnow() - since).total_seconds() * 1000)))
