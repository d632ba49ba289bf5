"""Matching reads the queue and the seats from the database; on PostgreSQL two matchers never collide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from earshot.calls.matching import (
    average_handle_seconds,
    expected_wait,
    next_match,
    queue_length,
    queue_positions,
    staffing,
)
from earshot.calls.models import CallStatus, SeatDecline
from earshot.calls.protocol import AgentStatus
from earshot.db import Database, utcnow
from tests.calls.state_fixtures import add_agent, add_call


async def test_longest_waiting_call_goes_to_longest_idle_agent(database: Database) -> None:
    await add_agent(database, "fresh", idle_for=1)
    idle = await add_agent(database, "idle", idle_for=60)
    await add_call(database, "newer", waited=5)
    oldest = await add_call(database, "oldest", waited=30)
    async with database.sessions() as session:
        match = await next_match(session)
    assert match is not None
    assert (match[0].id, match[1].user_id) == (oldest, idle)


async def test_busy_disconnected_and_declined_agents_are_passed_over(database: Database) -> None:
    await add_agent(database, "busy", status=AgentStatus.in_call, idle_for=90)
    await add_agent(database, "away", connected=False, idle_for=80)
    declined = await add_agent(database, "decliner", idle_for=70)
    call_id = await add_call(database, "caller")
    async with database.sessions() as session:
        session.add(SeatDecline(user_id=declined, call_id=call_id))
        await session.commit()
        assert await next_match(session) is None
    ready = await add_agent(database, "ready")
    async with database.sessions() as session:
        match = await next_match(session)
    assert match is not None and match[1].user_id == ready


async def test_offered_calls_keep_their_place_in_line(database: Database) -> None:
    first = await add_call(database, "first", waited=20, status=CallStatus.offered)
    second = await add_call(database, "second", waited=10)
    await add_call(database, "over", waited=30, status=CallStatus.ended)
    async with database.sessions() as session:
        assert await queue_positions(session) == {first: 1, second: 2}
        assert await queue_length(session) == 2


async def test_a_second_matcher_skips_what_the_first_holds(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has one writer; row locks are PostgreSQL's")
    first_agent = await add_agent(database, "first", idle_for=60)
    second_agent = await add_agent(database, "second", idle_for=30)
    first_call = await add_call(database, "first", waited=20)
    second_call = await add_call(database, "second", waited=10)
    async with database.sessions() as one, database.sessions() as two:
        held = await next_match(one)  # its transaction stays open: both rows stay locked
        other = await next_match(two)
        assert held is not None and (held[0].id, held[1].user_id) == (first_call, first_agent)
        assert other is not None and (other[0].id, other[1].user_id) == (second_call, second_agent)
        await one.rollback()
        await two.rollback()


def test_expected_wait_counts_callers_beyond_the_free_agents_at_the_busy_agents_pace() -> None:
    assert expected_wait(1, free=1, busy=0, handle_s=None) == 0.0  # someone is free (or ringing) for them
    assert expected_wait(3, free=1, busy=2, handle_s=300.0) == 300.0  # two ahead of the free one, two agents
    assert expected_wait(2, free=0, busy=0, handle_s=300.0) is None  # nobody on duty
    assert expected_wait(2, free=0, busy=1, handle_s=None) is None  # no call answered yet


async def test_staffing_and_handle_time_are_read_from_seats_and_answered_calls(database: Database) -> None:
    await add_agent(database, "free")
    await add_agent(database, "ringing", status=AgentStatus.offered)
    await add_agent(database, "talking", status=AgentStatus.in_call)
    await add_agent(database, "gone", connected=False)
    now = utcnow()
    await add_call(database, "short", status=CallStatus.ended, answered_at=now - timedelta(seconds=100), ended_at=now - timedelta(seconds=40))
    await add_call(database, "long", status=CallStatus.ended, answered_at=now - timedelta(seconds=200), ended_at=now - timedelta(seconds=20))
    await add_call(database, "unanswered", status=CallStatus.ended, ended_at=now)
    async with database.sessions() as session:
        assert await staffing(session) == (2, 1)
        assert await average_handle_seconds(session) == pytest.approx(120.0)
