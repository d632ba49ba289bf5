"""Offer expiry and reconnect graces are stored deadlines; any instance's sweep acts on them once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from earshot.calls.deadlines import Sweeper, due_agent_graces, due_customer_graces, due_offers
from earshot.calls.hub import CallHub
from earshot.calls.models import AgentSeat, Call, CallStatus
from earshot.calls.protocol import AgentStatus
from earshot.config import Settings
from earshot.db import Database, utcnow
from tests.calls.state_fixtures import add_agent, add_call, get_call, get_seat


def _settings(database: Database, tmp_path: Path) -> Settings:
    # The hub's own sweeper stays out of the way: each test sweeps when it means to.
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=database.url, deadline_sweep_seconds=3600, _env_file=None
    )


@pytest.fixture
async def hub(database: Database, tmp_path: Path) -> AsyncIterator[CallHub]:
    hub = CallHub(database, _settings(database, tmp_path))
    await hub.start()
    yield hub
    await hub.stop()


async def _types(hub: CallHub, call_id: str) -> list[str]:
    return [event.type for event in await hub.events(call_id)]


async def test_due_rows_are_those_past_their_deadline(database: Database) -> None:
    past, future = utcnow() - timedelta(seconds=1), utcnow() + timedelta(seconds=60)
    late_offer = await add_call(database, "late", status=CallStatus.offered, offer_expires_at=past)
    await add_call(database, "ringing", status=CallStatus.offered, offer_expires_at=future)
    gone = await add_call(database, "gone", status=CallStatus.active, customer_grace_until=past)
    await add_call(database, "away", status=CallStatus.active, customer_grace_until=future)
    await add_call(database, "over", status=CallStatus.ended, customer_grace_until=past)
    agent = await add_agent(database, "lost", connected=False)
    async with database.sessions() as session:
        seat = await session.get_one(AgentSeat, agent)
        seat.grace_until = past
        await session.commit()
    async with database.sessions() as session:
        now = utcnow()
        assert [c.id for c in await due_offers(session, now)] == [late_offer]
        assert [c.id for c in await due_customer_graces(session, now)] == [gone]
        assert [s.user_id for s in await due_agent_graces(session, now)] == [agent]


async def test_an_expired_offer_is_revoked_and_the_agent_marked_away(hub: CallHub, database: Database) -> None:
    agent = await add_agent(database, "sleepy")
    created, _token = await hub.create_call("Pat", None, None)
    call_id = created.id
    assert (await get_call(database, call_id)).offered_to == agent
    async with database.sessions() as session:
        call = await session.get_one(Call, call_id)
        call.offer_expires_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    await hub.sweep()
    call = await get_call(database, call_id)
    seat = await get_seat(database, agent)
    assert (call.status, call.offered_to) == (CallStatus.queued, None)
    assert seat is not None and (seat.status, seat.call_id) == (AgentStatus.unavailable, None)
    assert (await _types(hub, call_id))[-1] == "offer_declined"
    await hub.sweep()  # nothing is done twice
    assert (await _types(hub, call_id)).count("offer_declined") == 1


async def test_a_customer_who_never_comes_ends_as_dropped_after_the_grace(hub: CallHub, database: Database) -> None:
    created, _token = await hub.create_call("Pat", None, None)
    call_id = created.id
    await hub.sweep()
    assert (await get_call(database, call_id)).status == CallStatus.queued  # still within the grace
    async with database.sessions() as session:
        call = await session.get_one(Call, call_id)
        call.customer_grace_until = utcnow() - timedelta(seconds=1)
        await session.commit()
    await hub.sweep()
    call = await get_call(database, call_id)
    assert (call.status, call.end_reason) == (CallStatus.ended, "dropped")


async def test_an_agent_gone_past_the_grace_ends_their_call_and_keeps_the_wrap_up(
    hub: CallHub, database: Database
) -> None:
    agent = await add_agent(database, "dropper", status=AgentStatus.in_call, connected=False)
    call_id = await add_call(database, "Pat", status=CallStatus.active, agent_id=agent, customer_connection_id="c1",
                             customer_instance_id=hub.instance_id)
    async with database.sessions() as session:
        seat = await session.get_one(AgentSeat, agent)
        seat.call_id, seat.grace_until = call_id, utcnow() - timedelta(seconds=1)
        await session.commit()
    await hub.sweep()
    call, seat = await get_call(database, call_id), await get_seat(database, agent)
    assert (call.status, call.end_reason) == (CallStatus.ended, "dropped")
    assert seat is not None and (seat.status, seat.call_id) == (AgentStatus.wrap_up, call_id)


def test_a_sweeper_needs_a_positive_interval() -> None:
    async def nothing() -> None:
        return None

    with pytest.raises(ValueError):
        Sweeper(nothing, 0)
