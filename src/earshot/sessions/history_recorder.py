"""When a call ends: its summary goes into the log, and its history row and searchable text are written.

All three derive from the log; `rebuild_history` recomputes the rows and the text for every ended call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.protocol import LoggedEvent
from earshot.config import Settings
from earshot.db import Database
from earshot.sessions.log import read_events, to_message
from earshot.sessions.models import CallEvent, CallHistoryRow
from earshot.sessions.search import store_text
from earshot.sessions.summary import SummaryDraft, offline_summary

log = logging.getLogger(__name__)

Summarize = Callable[[Sequence[LoggedEvent]], Awaitable[SummaryDraft]]
LogEvent = Callable[..., Awaitable[None]]


def said_text(events: Sequence[LoggedEvent]) -> str:
    """Every final line of transcript and chat, in order: what the history's text search reads."""
    return "\n".join(
        e.text for e in events if e.type in ("chat", "transcript") and getattr(e, "final", True)  # type: ignore[attr-defined]
    )


async def write_history(session: AsyncSession, call_id: str, events: Sequence[LoggedEvent], summary: str | None) -> None:
    """(Re)write one call's history row and searchable text from its events; the caller commits."""
    scores = [e.score for e in events if e.type == "sentiment"]  # type: ignore[attr-defined]
    row = (await session.execute(select(CallHistoryRow).where(CallHistoryRow.call_id == call_id))).scalar_one_or_none()
    if row is None:
        row = CallHistoryRow(call_id=call_id)
        session.add(row)
    row.lowest_sentiment = min(scores) if scores else None
    row.had_alert = int(any(e.type == "sentiment_alert" for e in events))
    row.summary = summary
    await session.flush()
    await store_text(session, row, said_text(events))


async def _offline(events: Sequence[LoggedEvent]) -> SummaryDraft:
    return offline_summary(events)


class HistoryRecorder:
    """A hub observer: on `call_ended`, logs the call's `call_summary` and writes its history row.

    It waits `settle_seconds` first: the last line's sentiment may still be on its way to the log
    (and the moment a call ends is the busiest for the database).

    Overflow policy: past `max_pending` calls being summarised, an ended call gets no summary
    (counted in `dropped`, logged); `earshot history rebuild` restores its history row.
    """

    def __init__(
        self,
        db: Database,
        log_event: LogEvent,
        summarize: Summarize = _offline,
        max_pending: int = 64,
        settle_seconds: float = 1.0,
    ) -> None:
        self.db = db
        self.log_event = log_event
        self.summarize = summarize
        self.max_pending = max_pending
        self.settle_seconds = settle_seconds
        self.dropped = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    def on_event(self, event: LoggedEvent) -> None:
        if event.type != "call_ended":
            return
        if len(self._tasks) >= self.max_pending:
            self.dropped += 1
            log.warning("call %s ended with %d summaries pending: none for it", event.call_id, len(self._tasks))
            return
        task = asyncio.get_running_loop().create_task(self._close(event.call_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Let the summaries under way finish (the server is going down, the calls were just ended)."""
        self._stopping.set()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    async def _close(self, call_id: str) -> None:
        # Going down, the server's own assist has stopped: nothing more is on its way, and a
        # shutdown (a rolling restart) should not wait out the settling time.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.settle_seconds)
        try:
            async with self.db.sessions() as session:
                rows = await read_events(session, call_id)
            events = await asyncio.to_thread(lambda: [to_message(row) for row in rows])
            draft = await self.summarize(events)
            await self.log_event(call_id, "call_summary", **draft.payload())
            async with self.db.sessions() as session:
                await write_history(session, call_id, events, draft.notes)
                await session.commit()
        except Exception:  # the call is over; a failed summary must not take anything else down
            log.exception("summary of call %s failed", call_id)


async def rebuild_history(db: Database, progress: Callable[[int, int], None] | None = None) -> int:
    """Rewrite every ended call's history row and text from its log (summaries as logged), in batches."""
    async with db.sessions() as session:
        ended = select(CallEvent.call_id).where(CallEvent.type == "call_ended").order_by(CallEvent.call_id)
        call_ids = list((await session.execute(ended)).scalars())
    for done, call_id in enumerate(call_ids, 1):
        async with db.sessions() as session:
            events = [to_message(row) for row in await read_events(session, call_id)]
            summary = next((e.notes for e in reversed(events) if e.type == "call_summary"), None)  # type: ignore[attr-defined]
            await write_history(session, call_id, events, summary)
            await session.commit()
        if progress is not None:
            progress(done, len(call_ids))
    return len(call_ids)


def create_summarizer(settings: Settings) -> tuple[Summarize, Callable[[], Awaitable[None]]]:
    """The LLM summarizer when the LLM provider is chosen, else the offline one; with its close."""
    if settings.assist_provider != "llm":
        return _offline, _nothing
    from earshot.sessions.summary_llm import LlmSummarizer

    llm = LlmSummarizer(
        settings.assist_llm_base_url,
        settings.assist_llm_api_key,
        settings.assist_llm_model,
        settings.summary_llm_timeout_seconds,
    )
    return llm.summarize, llm.aclose


async def _nothing() -> None:
    return None
