"""The call log under concurrent writers: seq and time agree, so a replay never waits backwards."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from earshot.calls.models import Call
from earshot.db import Database, utcnow
from earshot.sessions.log import append_event, read_events
from tests.sessions.calllog import store


async def test_concurrent_appends_keep_time_in_seq_order(database: Database) -> None:
    """Many stages logging at once (assist, transcripts, chat) must store times in seq order."""
    async with database.sessions() as session:
        await store(session, [], call_id="c" * 32, queued_at=utcnow())
        await session.commit()

    async def log_one(n: int) -> None:
        async with database.sessions() as session:
            call = (await session.execute(select(Call).where(Call.id == "c" * 32))).scalar_one()
            # Yield between reading the call and appending, as a real stage does between its
            # own work and the write: that is when another writer can take the next seq.
            await asyncio.sleep(0.001 * (n % 3))
            await append_event(session, call, "chat", {"speaker": "customer", "author": "Caller", "text": f"line {n}"})
            await session.commit()

    for _ in range(4):
        results = await asyncio.gather(*(log_one(n) for n in range(12)), return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException) and "locked" not in str(r)]

    async with database.sessions() as session:
        events = await read_events(session, "c" * 32)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)) and len(events) >= 24
    times = [e.created_at for e in events]
    assert times == sorted(times)
    offsets = [e.offset_ms for e in events]
    assert offsets == sorted(offsets)
