"""The SQL aggregates over call facts and agent states agree with the definitions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from sqlalchemy import select

from earshot.calls.models import Call
from earshot.db import Database
from earshot.metrics import queries
from earshot.metrics.facts import MetricsRecorder, rebuild_call_facts, refresh_call_facts
from earshot.metrics.models import AgentDay, AgentEvent, AgentTime, CallFactsRow
from earshot.metrics.presence import rebuild_agent_time, record_states
from earshot.metrics.queries import Filters
from earshot.sessions.log import append_event
from tests.metrics.calllog import (
    T0, add_agents, add_call, ended, feedback, queued, said, sentiment, started, suggestion, wrapped,
)

DAY = Filters.for_dates(T0.date(), T0.date())
SL = 20.0


async def _seed(database: Database) -> None:
    async with database.sessions() as session:
        await add_agents(session)
        # agent 1: answered in 10 s, resolved, accepted a suggestion, ended positive
        await add_call(session, [
            queued(), started(10, 1), said(12, "customer"), said(16, "agent"), sentiment(13, 0.6),
            suggestion(14, "a", "track_order"), feedback(15, "a", True), ended(70), wrapped(80, "resolved"),
        ])
        # agent 1: answered in 30 s (outside the service level), unresolved, rejected, ended negative
        await add_call(session, [
            queued(), started(30, 1), said(31, "customer"), said(33, "agent"), sentiment(32, -0.8),
            suggestion(34, "b", "offer_refund"), feedback(35, "b", False), ended(90), wrapped(110, "unresolved"),
        ], T0 + timedelta(hours=1))
        # agent 2: answered in 5 s, not wrapped up yet, on the phone
        await add_call(session, [queued("phone"), started(5, 2), ended(65)], T0 + timedelta(hours=2))
        # abandoned in queue
        await add_call(session, [queued(), ended(45, "abandoned")], T0 + timedelta(hours=3))
        # the next day: not in DAY
        await add_call(session, [queued(), started(1, 2), ended(11), wrapped(12)], T0 + timedelta(days=1))
        await session.commit()
    await rebuild_call_facts(database)


async def test_summary_of_a_day_from_hand_built_calls(database: Database) -> None:
    await _seed(database)
    async with database.sessions() as session:
        kpis = await queries.summary(session, DAY, SL)
    assert kpis["calls_handled"] == 3 and kpis["calls_abandoned"] == 1
    assert kpis["service_level"] == 0.5  # 10 s and 5 s of 3 handled + 1 abandoned
    assert kpis["average_speed_of_answer_s"] == 15.0
    assert kpis["average_handle_time_s"] == pytest.approx((70 + 80) / 2)
    assert kpis["first_response_time_s"] == 3.0
    assert kpis["resolution_rate"] == 0.5
    assert kpis["abandonment_rate"] == 0.25
    assert kpis["average_sentiment"] == pytest.approx(-0.1)
    assert kpis["negative_call_share"] == 0.5
    assert kpis["suggestion_acceptance_rate"] == 0.5
    assert kpis["utilization"] is None  # no agent state logged


async def test_filters_narrow_the_calls(database: Database) -> None:
    await _seed(database)
    async with database.sessions() as session:
        phone = await queries.summary(session, Filters(DAY.start, DAY.end, channel="phone"), SL)
        agent1 = await queries.summary(session, Filters(DAY.start, DAY.end, agent_id=1), SL)
        resolved = await queries.summary(session, Filters(DAY.start, DAY.end, disposition="resolved"), SL)
        two_days = await queries.summary(session, Filters.for_dates(T0.date(), T0.date() + timedelta(days=1)), SL)
    assert phone["calls_handled"] == 1 and phone["average_speed_of_answer_s"] == 5.0
    assert agent1["calls_handled"] == 2 and agent1["calls_abandoned"] == 0
    assert resolved["calls_handled"] == 1 and resolved["resolution_rate"] == 1.0
    assert two_days["calls_handled"] == 4


async def test_timeseries_buckets_calls_by_the_interval_they_were_queued_in(database: Database) -> None:
    await _seed(database)
    async with database.sessions() as session:
        hourly = await queries.timeseries(session, DAY, "hour", SL)
        daily = await queries.timeseries(session, Filters.for_dates(T0.date(), T0.date() + timedelta(days=1)), "day", SL)
        weekly = await queries.timeseries(session, DAY, "week", SL)
    assert [p["bucket_start"].hour for p in hourly] == [9, 10, 11, 12]
    assert [p["calls_handled"] for p in hourly] == [1, 1, 1, 0]
    assert hourly[3]["abandonment_rate"] == 1.0
    assert [(p["bucket_start"].date(), p["calls_handled"]) for p in daily] == [
        (date(2026, 11, 2), 3), (date(2026, 11, 3), 1)
    ]
    assert weekly[0]["bucket_start"] == datetime(2026, 11, 2, tzinfo=UTC)  # weeks start on Monday


async def test_per_agent_table_and_reasons(database: Database) -> None:
    await _seed(database)
    async with database.sessions() as session:
        table = {row["agent_id"]: row for row in await queries.agents(session, DAY, SL)}
        reasons = {row["reason"]: row for row in await queries.reasons(session, DAY, SL)}
    assert table[1]["calls_handled"] == 2 and table[1]["resolution_rate"] == 0.5
    assert table[1]["suggestion_acceptance_rate"] == 0.5
    assert table[2]["calls_handled"] == 1 and table[2]["average_handle_time_s"] is None
    assert set(reasons) == {"track_order", "offer_refund", None}
    assert reasons["track_order"]["resolution_rate"] == 1.0
    assert reasons[None]["calls_handled"] == 1 and reasons[None]["calls_abandoned"] == 1


async def test_utilization_is_busy_time_over_present_time_clipped_to_the_period(database: Database) -> None:
    day_start = DAY.start

    def state(agent: int, at: datetime, name: str) -> AgentEvent:
        return AgentEvent(agent_id=agent, state=name, at=at, at_epoch=at.timestamp())

    async with database.sessions() as session:
        await add_agents(session)
        session.add_all([
            # agent 1 logged in the evening before: available from 23:00, so 1 h of that day is outside
            state(1, day_start - timedelta(hours=1), "available"),
            state(1, day_start + timedelta(hours=1), "in_call"),
            state(1, day_start + timedelta(hours=2), "wrap_up"),
            state(1, day_start + timedelta(hours=2, minutes=30), "available"),
            state(1, day_start + timedelta(hours=4), "unavailable"),
            state(1, day_start + timedelta(hours=5), "offline"),
            # agent 2: available 1 h, in a call 1 h, then offline
            state(2, day_start + timedelta(hours=10), "available"),
            state(2, day_start + timedelta(hours=11), "in_call"),
            state(2, day_start + timedelta(hours=12), "offline"),
        ])
        await session.commit()
    await rebuild_agent_time(database)
    async with database.sessions() as session:
        all_agents = await queries.summary(session, DAY, SL)
        table = {row["agent_id"]: row for row in await queries.agents(session, DAY, SL)}
        hourly = {p["bucket_start"].hour: p for p in await queries.timeseries(session, DAY, "hour", SL)}
        [daily] = await queries.timeseries(session, DAY, "day", SL)
    # agent 1: present 0-4 h (4 h), busy 1-2.5 h (1.5 h); agent 2: present 2 h, busy 1 h
    assert table[1]["utilization"] == round(1.5 / 4, 4)
    assert table[2]["utilization"] == 0.5
    assert all_agents["utilization"] == round(2.5 / 6, 4)
    assert daily["utilization"] == all_agents["utilization"]
    assert hourly[2]["utilization"] == 0.5 and hourly[0]["utilization"] == 0.0 and hourly[1]["utilization"] == 1.0


async def test_the_recorder_catches_up_on_calls_that_ended_or_were_wrapped_up_while_it_was_not_running(
    database: Database,
) -> None:
    async with database.sessions() as session:
        unseen = await add_call(session, [queued(), started(3, 1), ended(60)])
        await session.commit()
    await rebuild_call_facts(database)  # facts as of the end, then the wrap-up is logged unseen
    async with database.sessions() as session:
        call = await session.get(Call, unseen)
        assert call is not None
        await append_event(session, call, "call_wrapped_up", {"disposition": "resolved", "notes": ""},
                           T0 + timedelta(seconds=70))
        missing = await add_call(session, [queued(), ended(9, "abandoned")])
        await session.commit()
    recorder = MetricsRecorder(database)
    recorder.start()
    try:
        for _ in range(100):
            async with database.sessions() as session:
                rows = {row.call_id: row for row in (await session.execute(select(CallFactsRow))).scalars()}
            if missing in rows and rows[unseen].wrapped:
                break
            await asyncio.sleep(0.05)
    finally:
        await recorder.stop()
    assert rows[missing].abandoned == 1
    assert rows[unseen].wrapped == 1 and rows[unseen].handle_s == 67


async def test_agent_time_kept_as_states_arrive_equals_a_rebuild_from_the_log(database: Database) -> None:
    def state(agent: int, hours: float, name: str) -> AgentEvent:
        at = DAY.start + timedelta(hours=hours)
        return AgentEvent(agent_id=agent, state=name, at=at, at_epoch=at.timestamp())

    batches = [
        [state(1, -0.5, "available"), state(2, 3.1, "available"), state(1, 0.2, "in_call")],
        [state(1, 0.9, "wrap_up"), state(2, 3.3, "offered"), state(2, 3.35, "in_call")],
        [state(1, 1.0, "available"), state(1, 25.0, "offline"), state(2, 4.0, "unavailable")],
    ]
    for batch in batches:  # as the recorder flushes them
        async with database.sessions() as session:
            await record_states(session, batch)
            await session.commit()

    async def tables() -> tuple[dict[tuple[int, int], tuple[float, float]], ...]:
        found = []
        async with database.sessions() as session:
            for model, column in ((AgentTime, "bucket_epoch"), (AgentDay, "day_epoch")):
                rows = (await session.execute(select(model))).scalars()
                found.append({(r.agent_id, getattr(r, column)): (round(r.busy_s, 6), round(r.present_s, 6)) for r in rows})
        return tuple(found)

    kept = await tables()
    await rebuild_agent_time(database)
    assert kept == await tables()
    days = kept[1]
    assert days[(1, int(DAY.start.timestamp()))] == (2880.0, 86400.0)  # 00:12-01:00 busy; present all day
    assert days[(2, int(DAY.start.timestamp()))][0] == pytest.approx(0.65 * 3600)


async def test_two_instances_refreshing_one_call_at_once_leave_one_row(database: Database) -> None:
    """Its end logged on one instance and its wrap-up on another: both refresh the call's facts."""
    async with database.sessions() as session:
        call_id = await add_call(session, [queued(), started(3, 1), ended(60), wrapped(70)])
        await session.commit()

    async def refresh() -> None:
        async with database.sessions() as session:
            await refresh_call_facts(session, [call_id])
            await asyncio.sleep(0.05)  # both transactions open at once
            await session.commit()

    for _ in range(3):
        await asyncio.gather(refresh(), refresh())
    async with database.sessions() as session:
        rows = list((await session.execute(select(CallFactsRow).where(CallFactsRow.call_id == call_id))).scalars())
    assert len(rows) == 1 and rows[0].wrapped == 1 and rows[0].handle_s == 67
