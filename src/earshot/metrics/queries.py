"""The KPIs as SQL aggregates over `call_facts` and `agent_events`, portable across SQLite and PostgreSQL.

Each figure is the aggregate form of a definition in kpi.py; times are bucketed as epoch
seconds floor-divided by the interval, so both databases agree to the second (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import User
from earshot.db import utcnow
from earshot.metrics.models import AgentDay, AgentEvent, AgentTime, CallFactsRow
from earshot.metrics.presence import BUSY_STATES, DAY_SECONDS, PRESENT_STATES

Interval = Literal["15min", "hour", "day", "week"]
INTERVAL_SECONDS: dict[str, int] = {"15min": 900, "hour": 3600, "day": 86400, "week": 604800}
WEEK_OFFSET = 4 * 86400  # the epoch began on a Thursday; weeks start on Monday
F = CallFactsRow
T = AgentTime


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


def _sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def _aggregates(service_level_seconds: float) -> list[ColumnElement[Any]]:
    """Plain sums and means of the facts' columns (CASE only where the setting decides), so the
    covering indexes answer them fast."""
    return [
        _sum(F.handled).label("handled"),
        _sum(F.abandoned).label("abandoned"),
        _sum(case((F.answer_s <= service_level_seconds, 1), else_=0)).label("in_service_level"),
        func.avg(F.answer_s).label("asa"),
        func.avg(F.handle_s).label("aht"),
        func.avg(F.first_response_s).label("frt"),
        _sum(F.wrapped).label("wrapped"),
        _sum(F.resolved).label("resolved"),
        _sum(F.sentiment_sum).label("sentiment_sum"),
        _sum(F.sentiment_count).label("sentiment_count"),
        _sum(F.scored).label("with_sentiment"),
        _sum(F.ended_negative).label("negative"),
        _sum(F.suggestions_rated).label("rated"),
        _sum(F.suggestions_accepted).label("accepted"),
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


def _of_agents(session: AsyncSession, column: Any, agent_ids: list[int]) -> ColumnElement[bool]:
    """Rows of these agents, worded for each database's planner.

    SQLite: `IN (...)` makes one seek per agent into the agent-first covering index, already in
    agent order, so the work grows with the period asked for, not with the whole history (it would
    otherwise read the period index and sort). PostgreSQL plans `IS NOT NULL` well (a parallel
    scan and hash aggregate), while its generic plan for a long `= ANY($1)` list is slow.
    """
    if session.get_bind().dialect.name == "sqlite":
        return column.in_(agent_ids)  # type: ignore[no-any-return]
    return column.is_not(None)  # type: ignore[no-any-return]


async def agents(session: AsyncSession, filters: Filters, service_level_seconds: float) -> list[dict[str, Any]]:
    """The per-agent table: each staff member with calls or logged-in time in the period."""
    staff = select(User.id, User.display_name).order_by(User.id)
    if filters.agent_id is not None:
        staff = staff.where(User.id == filters.agent_id)
    names: dict[int, str] = dict((await session.execute(staff)).tuples().all())
    query = (
        select(F.agent_id, *_aggregates(service_level_seconds))
        .where(*filters.facts_where(), _of_agents(session, F.agent_id, list(names)))
        .group_by(F.agent_id)
    )
    rows = {int(row.agent_id): row for row in await session.execute(query)}
    times = await agent_time(session, filters, per_agent=list(names))
    table = []
    for agent_id in sorted((set(rows) | {agent for agent in times if agent is not None}) & set(names)):
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


def _clip_end(filters: Filters) -> float:
    return min(filters.end.timestamp(), utcnow().timestamp())


async def _open_spans(session: AsyncSession, filters: Filters) -> list[tuple[int, str, float, float]]:
    """Each agent's state still in force (not yet in `agent_time`), as (agent, state, began, now) clipped to the period."""
    latest = (
        select(AgentEvent.state, AgentEvent.at_epoch)
        .where(AgentEvent.agent_id == User.id)
        .order_by(AgentEvent.at_epoch.desc())  # the (agent_id, at_epoch) index, read backwards
        .limit(1)
        .correlate(User)
    )
    query = select(User.id, latest.with_only_columns(AgentEvent.state).scalar_subquery(),
                   latest.with_only_columns(AgentEvent.at_epoch).scalar_subquery())
    if filters.agent_id is not None:
        query = query.where(User.id == filters.agent_id)
    start, end = filters.start.timestamp(), _clip_end(filters)
    spans = []
    for agent_id, state, began in await session.execute(query):
        if state in PRESENT_STATES and began is not None and float(began) < end:
            spans.append((int(agent_id), str(state), max(float(began), start), end))
    return [span for span in spans if span[2] < span[3]]


def _agent_time_table(filters: Filters) -> tuple[Any, Any]:
    """Whole days (every period the API takes) read the daily rows, a few per agent, not 96."""
    whole_days = filters.start.timestamp() % DAY_SECONDS == 0 and filters.end.timestamp() % DAY_SECONDS == 0
    return (AgentDay, AgentDay.day_epoch) if whole_days else (AgentTime, AgentTime.bucket_epoch)


async def agent_time(
    session: AsyncSession, filters: Filters, per_agent: list[int] | None = None
) -> dict[int | None, tuple[float, float]]:
    """Seconds busy (in a call or wrap-up) and present (logged in, not unavailable) in the period.

    Keyed by agent id for the agents in `per_agent`, else by None for all agents together.
    """
    table, at = _agent_time_table(filters)
    where = [at >= int(filters.start.timestamp()), at < int(filters.end.timestamp())]
    if filters.agent_id is not None:
        where.append(table.agent_id == filters.agent_id)
    if per_agent is not None:
        where.append(_of_agents(session, table.agent_id, per_agent))
    key = table.agent_id if per_agent is not None else literal(0)
    query = select(key, func.sum(table.busy_s), func.sum(table.present_s)).where(*where)
    if per_agent is not None:
        query = query.group_by(table.agent_id)
    totals: dict[int | None, list[float]] = {}
    for agent_id, busy, present in await session.execute(query):
        if busy is not None:
            totals[int(agent_id) if per_agent is not None else None] = [float(busy), float(present)]
    for agent_id, state, began, ended in await _open_spans(session, filters):
        entry = totals.setdefault(agent_id if per_agent is not None else None, [0.0, 0.0])
        entry[1] += ended - began
        if state in BUSY_STATES:
            entry[0] += ended - began
    return {key: (busy, present) for key, (busy, present) in totals.items()}


async def agent_time_by_bucket(session: AsyncSession, filters: Filters, interval: str) -> dict[int, tuple[float, float]]:
    """Busy and present seconds per interval, all agents (or the filtered one) together."""
    size = INTERVAL_SECONDS[interval]
    offset = WEEK_OFFSET if interval == "week" else 0
    table, at = _agent_time_table(filters) if size >= DAY_SECONDS else (AgentTime, AgentTime.bucket_epoch)
    bucket = (((at - offset) // size) * size + offset).label("bucket")
    where = [at >= int(filters.start.timestamp()), at < int(filters.end.timestamp())]
    if filters.agent_id is not None:
        where.append(table.agent_id == filters.agent_id)
    query = select(bucket, func.sum(table.busy_s), func.sum(table.present_s)).where(*where).group_by(bucket)
    totals: dict[int, list[float]] = {int(b): [float(busy), float(present)] for b, busy, present in await session.execute(query)}
    for agent_id, state, began, ended in await _open_spans(session, filters):
        lo = began
        while lo < ended:
            start = bucket_start(lo, interval)
            cut = min(ended, start + size)
            entry = totals.setdefault(start, [0.0, 0.0])
            entry[1] += cut - lo
            if state in BUSY_STATES:
                entry[0] += cut - lo
            lo = cut
    return {key: (busy, present) for key, (busy, present) in totals.items()}


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


