"""Matching reads the queue and the seats from the database; on PostgreSQL two matchers never collide."""

from __future__ import annotations

import pytest

from earshot.calls.matching import next_match, queue_length, queue_positions
from earshot.calls.models import CallStatus, SeatDecline
from earshot.calls.protocol import AgentStatus
from earshot.db import Database
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
