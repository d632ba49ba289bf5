"""Replay: a call's timeline is a pure function of its log, printed at once or at the original pace.

`json_lines` is what `earshot replay --json` prints: one event per line, byte-identical between runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from earshot.calls.protocol import LoggedEvent
from earshot.db import Database
from earshot.sessions.log import read_events, to_message

Sleep = Callable[[float], Awaitable[None]]


class NoSuchCall(LookupError):
    pass


async def load_timeline(db: Database, call_id: str) -> list[LoggedEvent]:
    """The call's events in `seq` order, as the WebSocket carried them."""
    from earshot.calls.models import Call

    async with db.sessions() as session:
        if await session.get(Call, call_id) is None:
            raise NoSuchCall(call_id)
        return [to_message(row) for row in await read_events(session, call_id)]


def json_lines(timeline: Sequence[LoggedEvent]) -> Iterator[str]:
    for event in timeline:
        yield event.model_dump_json()


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
    lines: Sequence[tuple[int, str]], speed: float, write: Callable[[str], None], sleep: Sleep = asyncio.sleep
) -> None:
    """Write each (offset_ms, line) when its offset comes, scaled by `speed` (0: all at once)."""
    start = time.monotonic()
    first = lines[0][0] if lines else 0
    for offset_ms, line in lines:
        if speed > 0:
            due = (offset_ms - first) / 1000 / speed
            wait = due - (time.monotonic() - start)
            if wait > 0:
                await sleep(wait)
        write(line)
