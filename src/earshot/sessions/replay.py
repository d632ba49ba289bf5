"""Replay: a call's timeline is a pure function of its log, printed at once or at the original pace.

`to_json_line` is what `earshot replay --json` prints: one event per line, byte-identical between runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from earshot.calls.protocol import LoggedEvent
from earshot.db import Database
from earshot.sessions.log import read_events, to_message

Sleep = Callable[[float], Awaitable[None]]
CHUNK = 200


class NoSuchCall(LookupError):
    pass


async def load_timeline(db: Database, call_id: str) -> list[LoggedEvent]:
    """The call's events in `seq` order, as the WebSocket carried them."""
    return [event async for event in stream_timeline(db, call_id)]


async def stream_timeline(db: Database, call_id: str, chunk: int = CHUNK) -> AsyncIterator[LoggedEvent]:
    """The same, read `chunk` events at a time, so the first frame shows before a long call is read."""
    from earshot.calls.models import Call

    async with db.sessions() as session:
        if await session.get(Call, call_id) is None:
            raise NoSuchCall(call_id)
        after = 0
        while rows := await read_events(session, call_id, after, chunk):
            messages = [to_message(row) for row in rows]
            after = rows[-1].seq
            await session.rollback()  # no read transaction stays open while a replay plays in real time
            for message in messages:
                yield message


def to_json_line(event: LoggedEvent) -> str:
    """One event as `earshot replay --json` prints it: the same bytes for the same log entry."""
    return event.model_dump_json()


def _clock(ms: int) -> str:
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes:02d}:{rest / 1000:06.3f}"


def describe(event: LoggedEvent) -> str:
    """One line of the timeline for a terminal."""
    e = event
    match e.type:
        case "chat" | "transcript":
            body = f"{e.speaker}: {e.text}"  # type: ignore[attr-defined]
        case "sentiment":
            body = f"{e.label} {e.score:+.2f} (trend {e.trend:+.2f})"  # type: ignore[attr-defined]
        case "sentiment_alert":
            body = f"{e.reason} (score {e.score:+.2f})"  # type: ignore[attr-defined]
        case "suggestion":
            body = f"[{e.action} {e.confidence:.2f}] {e.suggestion}"  # type: ignore[attr-defined]
        case "call_started" | "call_offered":
            body = e.agent_name  # type: ignore[attr-defined]
        case "call_ended":
            body = f"{e.reason} by {e.ended_by}"  # type: ignore[attr-defined]
        case "call_wrapped_up":
            body = f"{e.disposition}: {e.notes}"  # type: ignore[attr-defined]
        case "call_summary":
            body = e.notes.replace("\n", " | ")  # type: ignore[attr-defined]
        case _:
            body = ""
    return f"{_clock(e.offset_ms)} #{e.seq} {e.type} {body}".rstrip()


async def play(
    lines: Iterable[tuple[int, str]] | AsyncIterator[tuple[int, str]],
    speed: float,
    write: Callable[[str], None],
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Write each (offset_ms, line) when its offset comes, scaled by `speed` (0: all at once)."""
    start = time.monotonic()
    first: int | None = None
    async for offset_ms, line in _aiter(lines):
        first = offset_ms if first is None else first
        if speed > 0:
            wait = (offset_ms - first) / 1000 / speed - (time.monotonic() - start)
            if wait > 0:
                await sleep(wait)
        write(line)


async def _aiter(lines: Iterable[tuple[int, str]] | AsyncIterator[tuple[int, str]]) -> AsyncIterator[tuple[int, str]]:
    if isinstance(lines, AsyncIterator):
        async for item in lines:
            yield item
    else:
        for item in lines:
            yield item
