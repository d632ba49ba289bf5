"""The KPIs as SQL aggregates over `call_facts` and `agent_events`, portable across SQLite and PostgreSQL.

Each figure is the aggregate form of a definition in kpi.py; times are bucketed as epoch
seconds floor-divided by the interval, so both databases agree to the second (UTC).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import User
from earshot.db import utcnow
from earshot.metrics.models import AgentEvent, CallFactsRow

Interval = Literal["15min", "hour", "day", "week"]
INTERVAL_SECONDS: dict[str, int] = {"15min": 900, "hour": 3600, "day": 86400, "week": 604800}
WEEK_OFFSET = 4 * 86400  # the epoch began on a Thursday; weeks start on Monday
BUSY_STATES = ("in_call", "wrap_up")
PRESENT_STATES = ("available", "offered", "in_call", "wrap_up")

F = CallFactsRow


@dataclass(frozen=True)
class Filters:
    """The period [start, end) and the optional filters every metrics route takes."""

    start: datetime
    end: datetime
    agent_id: int | None = None
    channel: str | None = None
    disposition: str | None = None

    @classmethod
    def for_dates(cls, first: date | None, last: date | None, **filters: Any) -> Filters:
        """From the start of `first` to the end of `last` (both UTC days, inclusive); default today."""
        today = utcnow().date()
        first = first or last or today
        last = last or first
        start = datetime.combine(first, time(), tzinfo=UTC)
        return cls(start, datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=1), **filters)

    def facts_where(self) -> list[ColumnElement[bool]]:
        clauses = [F.queued_epoch >= int(self.start.timestamp()), F.queued_epoch < int(self.end.timestamp())]
        if self.agent_id is not None:
            clauses.append(F.agent_id == self.agent_id)
        if self.channel:
            clauses.append(F.channel == self.channel)
        if self.disposition:
            clauses.append(F.disposition == self.disposition)
        return clauses


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _aggregates(service_level_seconds: float) -> list[ColumnElement[Any]]:
    return [
        _count(F.handled).label("handled"),
        _count(F.abandoned).label("abandoned"),
        _count(and_(F.handled, F.wait_s <= service_level_seconds)).label("in_service_level"),
        func.avg(case((F.handled, F.wait_s))).label("asa"),
        func.avg(F.handle_s).label("aht"),
        func.avg(F.first_response_s).label("frt"),
        _count(F.wrapped).label("wrapped"),
        _count(F.resolved).label("resolved"),
        func.coalesce(func.sum(F.sentiment_sum), 0).label("sentiment_sum"),
        func.coalesce(func.sum(F.sentiment_count), 0).label("sentiment_count"),
        _count(F.sentiment_count > 0).label("with_sentiment"),
        _count(F.ended_negative).label("negative"),
        func.coalesce(func.sum(F.suggestions_rated), 0).label("rated"),
        func.coalesce(func.sum(F.suggestions_accepted), 0).label("accepted"),
    ]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def kpis_of(row: Any, utilization: float | None) -> dict[str, Any]:
    """The summary's keys from one row of `_aggregates` (the names the API, CSV and UI share)."""
    offered = row.handled + row.abandoned
    return {
        "calls_handled": int(row.handled),
        "calls_abandoned": int(row.abandoned),
        "service_level": _ratio(row.in_service_level, offered),
        "average_speed_of_answer_s": _round(row.asa),
        "average_handle_time_s": _round(row.aht),
        "first_response_time_s": _round(row.frt),
        "resolution_rate": _ratio(row.resolved, row.wrapped),
        "abandonment_rate": _ratio(row.abandoned, offered),
        "average_sentiment": _round(row.sentiment_sum / row.sentiment_count, 3) if row.sentiment_count else None,
        "negative_call_share": _ratio(row.negative, row.with_sentiment),
        "suggestion_acceptance_rate": _ratio(row.accepted, row.rated),
        "utilization": utilization,
    }


async def summary(session: AsyncSession, filters: Filters, service_level_seconds: float) -> dict[str, Any]:
    row = (await session.execute(select(*_aggregates(service_level_seconds)).where(*filters.facts_where()))).one()
    busy, present = (await agent_time(session, filters)).get(None, (0.0, 0.0))
    return kpis_of(row, _ratio(busy, present))


def bucket_of(interval: str) -> ColumnElement[Any]:
    size = INTERVAL_SECONDS[interval]
    offset = WEEK_OFFSET if interval == "week" else 0
    return ((F.queued_epoch - offset) // size) * size + offset


def bucket_start(epoch: float, interval: str) -> int:
    size = INTERVAL_SECONDS[interval]
    offset = WEEK_OFFSET if interval == "week" else 0
    return int((epoch - offset) // size) * size + offset


async def timeseries(
    session: AsyncSession, filters: Filters, interval: str, service_level_seconds: float
) -> list[dict[str, Any]]:
    """One point per interval that has calls or agent time, oldest first."""
    bucket = bucket_of(interval).label("bucket")
    query = select(bucket, *_aggregates(service_level_seconds)).where(*filters.facts_where()).group_by(bucket)
    rows = {int(row.bucket): row for row in await session.execute(query)}
    busy_by_bucket = await agent_time_by_bucket(session, filters, interval)
    points = []
    for epoch in sorted(set(rows) | set(busy_by_bucket)):
        busy, present = busy_by_bucket.get(epoch, (0.0, 0.0))
        row = rows.get(epoch) or _EmptyRow()
        at = datetime.fromtimestamp(epoch, UTC)
        points.append({"bucket_start": at, **kpis_of(row, _ratio(busy, present))})
    return points


@dataclass
class _EmptyRow:
    handled: int = 0
    abandoned: int = 0
    in_service_level: int = 0
    asa: float | None = None
    aht: float | None = None
    frt: float | None = None
    wrapped: int = 0
    resolved: int = 0
    sentiment_sum: float = 0.0
    sentiment_count: int = 0
    with_sentiment: int = 0
    negative: int = 0
    rated: int = 0
    accepted: int = 0


async def agents(session: AsyncSession, filters: Filters, service_level_seconds: float) -> list[dict[str, Any]]:
    """The per-agent table: each agent with calls or logged-in time in the period."""
    query = (
        select(F.agent_id, *_aggregates(service_level_seconds))
        .where(*filters.facts_where(), F.agent_id.is_not(None))
        .group_by(F.agent_id)
    )
    rows = {int(row.agent_id): row for row in await session.execute(query)}
    times = await agent_time(session, filters, per_agent=True)
    ids = sorted(set(rows) | {agent for agent in times if agent is not None})
    names = dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))).tuples().all())
    table = []
    for agent_id in ids:
        busy, present = times.get(agent_id, (0.0, 0.0))
        kpis = kpis_of(rows.get(agent_id) or _EmptyRow(), _ratio(busy, present))
        table.append({"agent_id": agent_id, "agent_name": names.get(agent_id, f"agent {agent_id}"), **kpis})
    return table


async def reasons(session: AsyncSession, filters: Filters, service_level_seconds: float) -> list[dict[str, Any]]:
    """Calls by reason (the first suggestion's action; `None` when no suggestion was made), most calls first."""
    query = select(F.reason, *_aggregates(service_level_seconds)).where(*filters.facts_where()).group_by(F.reason)
    table = [{"reason": row.reason, **kpis_of(row, None)} for row in await session.execute(query)]
    for entry in table:
        del entry["utilization"]
    return sorted(table, key=lambda e: (-(e["calls_handled"] + e["calls_abandoned"]), e["reason"] or ""))


# ------------------------------------------------------------------ agent time (utilization)


def _state_spans(filters: Filters) -> Select[Any]:
    """Each agent state that overlaps the period, with when it began and when the next one did.

    The states logged in the period plus, per agent, the last one logged before it (still in force).
    """
    start, end = filters.start.timestamp(), filters.end.timestamp()
    agent_filter = [AgentEvent.agent_id == filters.agent_id] if filters.agent_id is not None else []
    before = (
        select(AgentEvent.agent_id, func.max(AgentEvent.at_epoch).label("at_epoch"))
        .where(AgentEvent.at_epoch < start, *agent_filter)
        .group_by(AgentEvent.agent_id)
        .subquery()
    )
    carried = select(AgentEvent.id, AgentEvent.agent_id, AgentEvent.state, AgentEvent.at_epoch).join(
        before, and_(AgentEvent.agent_id == before.c.agent_id, AgentEvent.at_epoch == before.c.at_epoch)
    )
    inside = select(AgentEvent.id, AgentEvent.agent_id, AgentEvent.state, AgentEvent.at_epoch).where(
        AgentEvent.at_epoch >= start, AgentEvent.at_epoch < end, *agent_filter
    )
    events = union_all(carried, inside).subquery()
    following = func.lead(events.c.at_epoch).over(
        partition_by=events.c.agent_id, order_by=(events.c.at_epoch, events.c.id)
    )
    return select(
        events.c.agent_id, events.c.state, events.c.at_epoch.label("began"), following.label("ended")
    )


def _clip_end(filters: Filters) -> float:
    return min(filters.end.timestamp(), utcnow().timestamp())


async def agent_time(
    session: AsyncSession, filters: Filters, per_agent: bool = False
) -> dict[int | None, tuple[float, float]]:
    """Seconds busy (in a call or wrap-up) and present (logged in, not unavailable), summed in SQL.

    Keyed by agent id when `per_agent`, else by None for all agents together.
    """
    spans = _state_spans(filters).subquery()
    start, end = filters.start.timestamp(), _clip_end(filters)
    lo = case((spans.c.began > start, spans.c.began), else_=literal(start))
    hi_raw = func.coalesce(spans.c.ended, literal(end))
    hi = case((hi_raw < end, hi_raw), else_=literal(end))
    seconds = case((hi > lo, hi - lo), else_=literal(0.0))
    busy = func.coalesce(func.sum(case((spans.c.state.in_(BUSY_STATES), seconds), else_=literal(0.0))), 0.0)
    present = func.coalesce(func.sum(case((spans.c.state.in_(PRESENT_STATES), seconds), else_=literal(0.0))), 0.0)
    query = select(spans.c.agent_id if per_agent else literal(0), busy, present)
    if per_agent:
        query = query.group_by(spans.c.agent_id)
    result: dict[int | None, tuple[float, float]] = {}
    for agent_id, busy_s, present_s in await session.execute(query):
        result[int(agent_id) if per_agent else None] = (float(busy_s), float(present_s))
    return result


async def agent_time_by_bucket(session: AsyncSession, filters: Filters, interval: str) -> dict[int, tuple[float, float]]:
    """Busy and present seconds per interval: each state span is split at interval boundaries."""
    start, end = filters.start.timestamp(), _clip_end(filters)
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for _agent, state, began, ended in await session.execute(_state_spans(filters)):
        lo, hi = max(float(began), start), min(float(ended) if ended is not None else end, end)
        busy, present = state in BUSY_STATES, state in PRESENT_STATES
        while present and lo < hi:
            bucket = bucket_start(lo, interval)
            cut = min(hi, bucket + INTERVAL_SECONDS[interval])
            totals[bucket][1] += cut - lo
            if busy:
                totals[bucket][0] += cut - lo
            lo = cut
    return {bucket: (busy, present) for bucket, (busy, present) in totals.items()}


@dataclass
class Report:
    """A period's report: the summary, the per-agent table, the reasons and the interval series."""

    filters: Filters
    interval: str
    summary: dict[str, Any] = field(default_factory=dict)
    agents: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    timeseries: list[dict[str, Any]] = field(default_factory=list)


async def report(session: AsyncSession, filters: Filters, interval: str, service_level_seconds: float) -> Report:
    return Report(
        filters,
        interval,
        await summary(session, filters, service_level_seconds),
        await agents(session, filters, service_level_seconds),
        await reasons(session, filters, service_level_seconds),
        await timeseries(session, filters, interval, service_level_seconds),
    )


