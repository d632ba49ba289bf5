"""Instances beat; the parties of a silent one count as disconnected, those of a live one are left alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from earshot.calls.hub import CallHub
from earshot.calls.models import AgentSeat, CallStatus, Instance
from earshot.calls.presence import Presence
from earshot.calls.protocol import AgentStatus
from earshot.config import Settings
from earshot.db import Database, utcnow
from tests.calls.state_fixtures import add_agent, add_call, get_call, get_seat
from tests.tcp_proxy import TcpProxy


def _settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=database.url, deadline_sweep_seconds=3600, _env_file=None
    )


async def _instance(database: Database, instance_id: str, silent_for: float) -> None:
    async with database.sessions() as session:
        at = utcnow() - timedelta(seconds=silent_for)
        session.add(Instance(id=instance_id, started_at=at, heartbeat_at=at))
        await session.commit()


async def test_an_instance_sees_others_only_while_they_beat(database: Database) -> None:
    one, two = Presence(database, 0.1, 0.5), Presence(database, 0.1, 0.5)
    await one.start()
    assert not await one.others_alive()
    await two.start()
    assert await one.others_alive()
    await two.stop()
    assert not await one.others_alive()
    await one.stop()


async def test_start_leaves_calls_of_live_instances_alone_and_sweep_frees_those_of_dead_ones(
    database: Database, tmp_path: Path
) -> None:
    await _instance(database, "alive", silent_for=0)
    await _instance(database, "dead", silent_for=60)
    kept = await add_call(database, "Kept", status=CallStatus.active, customer_instance_id="alive",
                          customer_connection_id="c1")
    orphan = await add_call(database, "Orphan", status=CallStatus.active, customer_instance_id="dead",
                            customer_connection_id="c2")
    agent = await add_agent(database, "stranded", status=AgentStatus.in_call, instance_id="dead")
    async with database.sessions() as session:
        seat = await session.get_one(AgentSeat, agent)
        seat.call_id = orphan
        await session.commit()
    hub = CallHub(database, _settings(database, tmp_path))
    await hub.start()
    try:
        assert (await get_call(database, kept)).status == CallStatus.active
        assert (await get_call(database, orphan)).status == CallStatus.active
        await hub.sweep()
        kept_call, orphan_call = await get_call(database, kept), await get_call(database, orphan)
        assert (kept_call.customer_connection_id, kept_call.customer_grace_until) == ("c1", None)
        assert orphan_call.status == CallStatus.active and orphan_call.customer_connection_id is None
        assert orphan_call.customer_grace_until is not None
        seat_now = await get_seat(database, agent)
        assert seat_now is not None and seat_now.connection_id is None and seat_now.grace_until is not None
        events = [(e.type, getattr(e, "speaker", None)) for e in await hub.events(orphan)]
        assert events.count(("party_disconnected", "customer")) == 1
        assert events.count(("party_disconnected", "agent")) == 1
        await hub.sweep()  # once only
        assert len([e for e in await hub.events(orphan) if e.type == "party_disconnected"]) == 2
    finally:
        async with database.sessions() as session:  # a live other instance would keep its calls open past this test
            await session.execute(delete(Instance).where(Instance.id == "alive"))
            await session.commit()
        await hub.stop()


async def test_after_losing_the_database_an_instance_judges_no_one_until_it_has_beaten_again_for_an_expiry(
    database: Database,
) -> None:
    """Every heartbeat goes stale while the database is away: silence then says nothing about who is gone."""
    if database.is_sqlite:
        pytest.skip("the database is cut off through a TCP proxy: PostgreSQL")
    port = make_url(database.url).port or 5432
    proxy = TcpProxy(port)
    await proxy.start()
    through_proxy = Database(database.url.replace(f":{port}/", f":{proxy.port}/"))
    presence = Presence(through_proxy, 0.1, 0.5)
    await _instance(database, "dead", silent_for=60)
    await add_call(
        database, "Orphan", status=CallStatus.active, customer_instance_id="dead", customer_connection_id="c"
    )
    try:
        await presence.start()
        assert presence.may_judge_others(utcnow())  # a fresh start judges at once
        await proxy.cut()
        await _until(lambda: not presence.may_judge_others(utcnow()))
        await proxy.restore()
        restored_at = utcnow()
        async with database.sessions() as session:
            assert await presence.orphaned_customers(session, utcnow()) == []
        await _until(lambda: presence.may_judge_others(utcnow()), timeout=5.0)
        assert utcnow() - restored_at >= timedelta(seconds=0.5)  # a whole expiry of beats that reached it
        async with database.sessions() as session:
            assert len(await presence.orphaned_customers(session, utcnow())) == 1
    finally:
        await presence.stop()
        await through_proxy.close()
        await proxy.stop()


async def _until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.02)
