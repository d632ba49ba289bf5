"""Agent time for utilization: state spans from the agent state log, summed per agent and 15 minutes.

A span is one state from its `agent_events` row to the next one of the same agent. Closed spans
are split at 15-minute boundaries into `agent_time` (and summed per day into `agent_days`); the
span still open is added at query time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.db import Database
from earshot.metrics.models import AgentDay, AgentEvent, AgentTime

BUCKET_SECONDS = 900
DAY_SECONDS = 86400
BUSY_STATES = frozenset({"in_call", "wrap_up"})
PRESENT_STATES = frozenset({"available", "offered", "in_call", "wrap_up"})

Totals = dict[tuple[int, int], list[float]]  # (agent_id, bucket_epoch) -> [busy_s, present_s]


def add_span(totals: Totals, agent_id: int, state: str, began: float, ended: float, bucket: int = BUCKET_SECONDS) -> None:
    """Add one state span to `totals`, split at bucket boundaries; states that are not presence add nothing."""
    if state not in PRESENT_STATES:
        return
    busy = state in BUSY_STATES
    while began < ended:
        start = int(began // bucket) * bucket
        cut = min(ended, start + bucket)
        entry = totals.setdefault((agent_id, start), [0.0, 0.0])
        entry[1] += cut - began
        if busy:
            entry[0] += cut - began
        began = cut


def spans_totals(events: Iterable[tuple[int, str, float]]) -> Totals:
    """Totals of the closed spans among (agent_id, state, at_epoch) rows ordered by agent, then time."""
    totals: Totals = {}
    previous: tuple[int, str, float] | None = None
    for event in events:
        if previous is not None and previous[0] == event[0]:
            add_span(totals, previous[0], previous[1], previous[2], event[2])
        previous = event
    return totals


def by_day(totals: Totals) -> Totals:
    """The same totals per agent and UTC day."""
    days: Totals = {}
    for (agent_id, bucket), (busy, present) in totals.items():
        entry = days.setdefault((agent_id, bucket // DAY_SECONDS * DAY_SECONDS), [0.0, 0.0])
        entry[0] += busy
        entry[1] += present
    return days


async def add_totals(session: AsyncSession, totals: Totals) -> None:
    """Add to the `agent_time` and `agent_days` rows (creating them as needed); the caller commits."""
    for model, column, rows in ((AgentTime, AgentTime.bucket_epoch, totals), (AgentDay, AgentDay.day_epoch, by_day(totals))):
        if not rows:
            continue
        keys = list(rows)
        existing = {
            (row.agent_id, getattr(row, column.key)): row
            for row in (await session.execute(select(model).where(tuple_(model.agent_id, column).in_(keys)))).scalars()
        }
        for key, (busy, present) in rows.items():
            row = existing.get(key)
            if row is None:
                session.add(model(agent_id=key[0], busy_s=busy, present_s=present, **{column.key: key[1]}))
            else:
                row.busy_s += busy
                row.present_s += present


async def latest_state(session: AsyncSession, agent_id: int) -> tuple[str, float] | None:
    row = (
        await session.execute(
            select(AgentEvent.state, AgentEvent.at_epoch)
            .where(AgentEvent.agent_id == agent_id)
            .order_by(AgentEvent.at_epoch.desc())  # the (agent_id, at_epoch) index, read backwards
            .limit(1)
        )
    ).first()
    return None if row is None else (row.state, float(row.at_epoch))


async def record_states(session: AsyncSession, events: list[AgentEvent]) -> None:
    """Log new agent states (in order) and add the spans they close to `agent_time`; the caller commits."""
    totals: Totals = {}
    previous: dict[int, tuple[str, float] | None] = {}
    for event in events:
        if event.agent_id not in previous:
            previous[event.agent_id] = await latest_state(session, event.agent_id)
        before = previous[event.agent_id]
        if before is not None:
            add_span(totals, event.agent_id, before[0], before[1], event.at_epoch)
        previous[event.agent_id] = (event.state, event.at_epoch)
    session.add_all(events)
    await add_totals(session, totals)


async def rebuild_agent_time(db: Database, batch: int = 2000) -> int:
    """Recompute `agent_time` and `agent_days` from the whole agent state log; returns the rows written."""
    async with db.sessions() as session:
        await session.execute(delete(AgentTime))
        await session.execute(delete(AgentDay))
        result = await session.stream(
            select(AgentEvent.agent_id, AgentEvent.state, AgentEvent.at_epoch).order_by(
                AgentEvent.agent_id, AgentEvent.at_epoch, AgentEvent.id
            )
        )
        totals = spans_totals([(int(a), str(s), float(t)) async for a, s, t in result])
        rows = [
            {"agent_id": agent, "bucket_epoch": bucket, "busy_s": busy, "present_s": present}
            for (agent, bucket), (busy, present) in totals.items()
        ]
        days = [
            {"agent_id": agent, "day_epoch": day, "busy_s": busy, "present_s": present}
            for (agent, day), (busy, present) in by_day(totals).items()
        ]
        for table, values in ((AgentTime.__table__, rows), (AgentDay.__table__, days)):
            for start in range(0, len(values), batch):
                await session.execute(table.insert(), values[start : start + batch])
        await session.commit()
    return len(rows)
