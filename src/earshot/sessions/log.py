"""Appending to and reading the call event log, and turning entries into wire messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import Call
from earshot.calls.protocol import LoggedEvent, call_event_adapter
from earshot.db import utcnow
from earshot.sessions.models import CallEvent


async def append_event(
    session: AsyncSession, call: Call, event_type: str, payload: dict[str, Any], at: datetime | None = None
) -> CallEvent:
    """Append one event with the call's next seq; the caller commits.

    The seq comes from an atomic increment of `calls.last_seq`, so two writers (even on two
    instances) can never hand out the same number.
    """
    return (await append_events(session, call, [(event_type, payload, at)]))[0]


async def append_events(
    session: AsyncSession, call: Call, entries: Sequence[tuple[str, dict[str, Any], datetime | None]]
) -> list[CallEvent]:
    """Append several events in order with the call's next seqs, reserved by one increment; the caller commits.

    Times given must not go backwards; a missing time is read once the seqs are ours. A single
    event is added to the session; a batch is inserted in one statement, and the events returned
    are then not attached to it (their `id` is not read back).
    """
    last = (
        await session.execute(
            update(Call)
            .where(Call.id == call.id)
            .values(last_seq=Call.last_seq + len(entries))
            .returning(Call.last_seq)
        )
    ).scalar_one()
    call.last_seq = last
    # The clock is read only once the seq is ours: the increment holds the call's row (and on
    # SQLite the whole database) until commit, so times taken after it follow seq order and a
    # replay never has to wait a negative delay. Reading it earlier let two concurrent writers
    # (an assist stage and the call's own path) store seq n+1 with an earlier time than seq n.
    now = utcnow()
    events = []
    for seq, (event_type, payload, at) in enumerate(entries, last - len(entries) + 1):
        at = at or now
        offset_ms = max(0, int((at - call.queued_at).total_seconds() * 1000))
        event = CallEvent(call_id=call.id, seq=seq, type=event_type, payload=payload, created_at=at, offset_ms=offset_ms)
        # Validate before storing: the log must only ever hold messages the protocol can carry.
        to_message(event)
        events.append(event)
    if len(events) == 1:
        session.add(events[0])
    else:  # one statement for the batch (the ORM inserts SQLite rows one by one); these stay unattached
        columns = ("call_id", "seq", "type", "payload", "created_at", "offset_ms")
        await session.execute(insert(CallEvent), [{name: getattr(e, name) for name in columns} for e in events])
    return events


async def append_to_call(
    session: AsyncSession, call_id: str, event_type: str, payload: dict[str, Any], while_status: str | None = None
) -> CallEvent | None:
    """Append one event to a call that is not loaded, in one statement; None if there is no such call
    (or it is not `while_status`, when given). The caller commits.

    Reserving the seq also reads the one column an event needs (when the call was queued), so
    a chat line or an assist result costs an UPDATE and an INSERT rather than a full load of the
    call's row first: these are most of a busy instance's writes.
    """
    condition = [Call.id == call_id] + ([Call.status == while_status] if while_status is not None else [])
    reserved = (
        await session.execute(
            update(Call)
            .where(*condition)
            .values(last_seq=Call.last_seq + 1)
            .returning(Call.last_seq, Call.queued_at)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if reserved is None:
        return None
    seq, queued_at = reserved
    now = utcnow()  # after the increment, as in append_events: times follow seq order
    offset_ms = max(0, int((now - queued_at).total_seconds() * 1000))
    event = CallEvent(call_id=call_id, seq=seq, type=event_type, payload=payload, created_at=now, offset_ms=offset_ms)
    to_message(event)  # the log must only ever hold messages the protocol can carry
    session.add(event)
    return event


async def read_events(
    session: AsyncSession, call_id: str, after_seq: int = 0, limit: int | None = None
) -> Sequence[CallEvent]:
    query = select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.seq > after_seq).order_by(CallEvent.seq)
    result = await session.execute(query.limit(limit) if limit is not None else query)
    return result.scalars().all()


def to_message(event: CallEvent) -> LoggedEvent:
    message: LoggedEvent = call_event_adapter.validate_python(
        {
            **event.payload,
            "type": event.type,
            "call_id": event.call_id,
            "seq": event.seq,
            "at": event.created_at,
            "offset_ms": event.offset_ms,
        }
    )
    return message
