"""Keeps the metrics read models current: call facts when a call ends or is wrapped up, agent states as they change.

Both are derived data: `rebuild_call_facts` recomputes every call's facts from the event log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.protocol import LoggedEvent
from earshot.db import Database, utcnow
from earshot.metrics.kpi import CallFacts, LoggedFact, call_facts
from earshot.metrics.models import AgentEvent, CallFactsRow
from earshot.metrics.presence import record_states
from earshot.sessions.models import CallEvent

log = logging.getLogger(__name__)

FACT_EVENTS = frozenset({"call_ended", "call_wrapped_up"})
REBUILD_BATCH = 500


def facts_row(facts: CallFacts) -> CallFactsRow:
    return CallFactsRow(
        call_id=facts.call_id,
        channel=facts.channel,
        agent_id=facts.agent_id,
        queued_at=facts.queued_at,
        queued_epoch=int(facts.queued_at.timestamp()),
        end_reason=facts.end_reason,
        disposition=facts.disposition,
        handled=int(facts.handled),
        abandoned=int(facts.abandoned),
        wrapped=int(facts.handled and facts.wrapped_up_at is not None),
        resolved=int(facts.handled and facts.disposition == "resolved"),
        wait_s=facts.wait_s,
        answer_s=facts.wait_s if facts.handled else None,
        talk_s=facts.talk_s,
        wrap_s=facts.wrap_s,
        handle_s=facts.handle_s,
        first_response_s=facts.first_response_s,
        sentiment_sum=facts.sentiment_sum,
        sentiment_count=facts.sentiment_count,
        scored=int(facts.sentiment_count > 0),
        ended_negative=int(facts.ended_negative),
        suggestions=facts.suggestions,
        suggestions_rated=facts.suggestions_rated,
        suggestions_accepted=facts.suggestions_accepted,
        reconnects=facts.reconnects,
        reason=facts.reason,
    )


async def refresh_call_facts(session: AsyncSession, call_ids: Sequence[str]) -> int:
    """Recompute the facts of these calls from their events; the caller commits. Returns rows written."""
    if not call_ids:
        return 0
    rows = await session.execute(
        select(CallEvent.call_id, CallEvent.type, CallEvent.created_at, CallEvent.payload)
        .where(CallEvent.call_id.in_(call_ids))
        .order_by(CallEvent.call_id, CallEvent.seq)
    )
    by_call: dict[str, list[LoggedFact]] = {}
    for call_id, kind, at, payload in rows:
        by_call.setdefault(call_id, []).append(LoggedFact(kind, at, payload))
    rows_now = [facts_row(f) for f in (call_facts(c, e) for c, e in by_call.items()) if f is not None and f.ended_at is not None]
    written_ids = {row.call_id for row in rows_now}
    stale = [call_id for call_id in call_ids if call_id not in written_ids]
    if stale:
        await session.execute(delete(CallFactsRow).where(CallFactsRow.call_id.in_(stale)))
    if rows_now:
        await session.execute(_upsert(session, rows_now))
    return len(rows_now)


def _upsert(session: AsyncSession, rows: list[CallFactsRow]):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (call_id) DO UPDATE: two instances may refresh one call at once (its end
    logged on one, its wrap-up on another), and a delete-then-insert would collide on the key."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    columns = [column for column in CallFactsRow.__table__.columns]
    statement = dialect.insert(CallFactsRow).values([{c.name: getattr(row, c.key) for c in columns} for row in rows])
    return statement.on_conflict_do_update(
        index_elements=[CallFactsRow.call_id],
        set_={c.name: statement.excluded[c.name] for c in columns if not c.primary_key},
    )


async def rebuild_call_facts(db: Database, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the facts of every ended call from the event log, in batches."""
    async with db.sessions() as session:
        ended = select(CallEvent.call_id).where(CallEvent.type == "call_ended").order_by(CallEvent.call_id)
        call_ids = list((await session.execute(ended)).scalars())
        total, written = len(call_ids), 0
        await session.execute(delete(CallFactsRow))
        for start in range(0, total, REBUILD_BATCH):
            written += await refresh_call_facts(session, call_ids[start : start + REBUILD_BATCH])
            await session.commit()
            if progress is not None:
                progress(min(start + REBUILD_BATCH, total), total)
        await session.commit()
    return written


async def catch_up_call_facts(db: Database) -> int:
    """Facts for ended calls that have none, or that were wrapped up since: what a restart may have missed
    (calls ended at start-up, updates still queued when the last process stopped)."""
    has_facts = exists().where(CallFactsRow.call_id == CallEvent.call_id)
    missing = select(CallEvent.call_id).where(CallEvent.type == "call_ended", ~has_facts)
    stale = (
        select(CallEvent.call_id)
        .join(CallFactsRow, CallFactsRow.call_id == CallEvent.call_id)
        .where(CallEvent.type == "call_wrapped_up", CallFactsRow.wrapped == 0, CallFactsRow.handled == 1)
    )
    async with db.sessions() as session:
        call_ids = sorted(set((await session.execute(missing)).scalars()) | set((await session.execute(stale)).scalars()))
        written = 0
        for start in range(0, len(call_ids), REBUILD_BATCH):
            written += await refresh_call_facts(session, call_ids[start : start + REBUILD_BATCH])
            await session.commit()
    if written:
        log.info("metrics: derived the facts of %d calls the last run had not", written)
    return written


async def count_call_facts(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(CallFactsRow))).scalar_one())


class MetricsRecorder:
    """A hub observer: writes call facts and agent states off the call's path, in order, batched.

    Overflow policy: past `max_pending` unwritten items, new ones are dropped (counted and logged);
    `earshot metrics rebuild` restores call facts from the log.
    """

    def __init__(self, db: Database, max_pending: int = 10_000, on_written: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_written = on_written  # e.g. the live floor, whose tiles read these rows
        self.max_pending = max_pending
        self.dropped = 0
        self._calls: set[str] = set()
        self._states: list[AgentEvent] = []
        self._last_state: dict[int, str] = {}  # the hub re-announces unchanged states; log changes only
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    def on_event(self, event: LoggedEvent) -> None:
        """Hub observer: a call that ended or was wrapped up gets its facts (re)computed."""
        if getattr(event, "type", "") in FACT_EVENTS and self._room():
            self._calls.add(event.call_id)
            self._wake.set()

    def on_agent_state(self, agent_id: int, state: str) -> None:
        """An agent's state from now on (see `AgentEvent`)."""
        if self._last_state.get(agent_id) == state:
            return
        self._last_state[agent_id] = state
        if self._room():
            now = utcnow()
            self._states.append(AgentEvent(agent_id=agent_id, state=state, at=now, at_epoch=now.timestamp()))
            self._wake.set()

    def _room(self) -> bool:
        if len(self._calls) + len(self._states) < self.max_pending:
            return True
        self.dropped += 1
        log.warning("metrics recorder backlog full: %d updates dropped", self.dropped)
        return False

    async def _run(self) -> None:
        try:
            await catch_up_call_facts(self.db)
        except Exception:  # serving goes on; `earshot metrics rebuild` repairs the facts
            log.exception("catching up call facts failed")
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # a failed write must not stop later ones; rebuild restores facts
                log.exception("writing metrics read models failed")

    async def flush(self) -> None:
        calls, self._calls = sorted(self._calls), set()
        states, self._states = self._states, []
        if not calls and not states:
            return
        async with self.db.sessions() as session:
            await record_states(session, states)
            await refresh_call_facts(session, calls)
            await session.commit()
        if calls and self.on_written is not None:
            self.on_written()


def facts_of(events: Iterable[CallEvent]) -> CallFacts | None:
    """The facts of one call from its `CallEvent` rows (for tests and tools)."""
    rows = list(events)
    if not rows:
        return None
    return call_facts(rows[0].call_id, (LoggedFact(e.type, e.created_at, e.payload) for e in rows))
