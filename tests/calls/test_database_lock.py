"""The database never stays locked: the quick sequences that cancel assist work mid-write, many times over."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text, update

from earshot.app import HEALTH_PROBE_SECONDS
from earshot.calls.hub import CallHub
from earshot.calls.models import Call
from earshot.config import Settings
from earshot.db import Database
from earshot.sessions.log import read_events
from tests.harness import RunningServer, WsClient

ROUNDS = 20
QUICK_WRITE_SECONDS = 3.0  # far below the 30 s a locked SQLite write used to wait


async def answered(shop: RunningServer, agent: WsClient, name: str) -> tuple[str, WsClient]:
    call_id, _, customer = await shop.customer(name)
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, customer


async def chat_then_customer_hangs_up(call_id: str, agent: WsClient, customer: WsClient) -> None:
    await customer.send({"type": "chat", "text": "thanks, bye"})
    await customer.send({"type": "end_call"})


async def two_quick_lines(call_id: str, agent: WsClient, customer: WsClient) -> None:
    await customer.send({"type": "chat", "text": "my order 20417 has not arrived"})
    await customer.send({"type": "chat", "text": "and I was charged twice"})
    await agent.expect("chat", text="and I was charged twice")
    await agent.send({"type": "end_call", "call_id": call_id})


async def agent_hangs_up_on_a_line(call_id: str, agent: WsClient, customer: WsClient) -> None:
    with customer.allow_errors("conflict"):  # when the hang-up lands first, the line is refused
        await customer.send({"type": "chat", "text": "I want a refund"})
        await agent.send({"type": "end_call", "call_id": call_id})
        await customer.expect("call_ended")
        await customer.drain(0.1)


Sequence = Callable[[str, WsClient, WsClient], Awaitable[None]]


async def timed_wrap_up(agent: WsClient, call_id: str) -> float:
    await agent.has_or_expect("agent_state", status="wrap_up", call_id=call_id, timeout=QUICK_WRITE_SECONDS)
    started = time.monotonic()
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    await agent.expect("call_wrapped_up", call_id=call_id, timeout=QUICK_WRITE_SECONDS)
    return time.monotonic() - started


@pytest.mark.parametrize("sequence", [chat_then_customer_hangs_up, two_quick_lines, agent_hangs_up_on_a_line])
async def test_quick_sequences_never_leave_the_database_locked(shop: RunningServer, sequence: Sequence) -> None:
    agent = await shop.agent("agent1")
    slowest = 0.0
    for round_ in range(ROUNDS):
        call_id, customer = await answered(shop, agent, f"Caller {round_}")
        await sequence(call_id, agent, customer)
        slowest = max(slowest, await timed_wrap_up(agent, call_id))
        await customer.close()
        await agent.expect("agent_state", status="available")

    started = time.monotonic()
    async with shop.http() as http:
        response = await http.post("/api/calls", json={"name": "After"}, timeout=QUICK_WRITE_SECONDS)
    assert response.status_code in (200, 201), response.text
    assert time.monotonic() - started < QUICK_WRITE_SECONDS
    assert slowest < QUICK_WRITE_SECONDS
    errors = [m for m in agent.seen if m["type"] == "error"]
    assert not errors, errors


# ---------------------------------------------------------------- the unit of work, alone


@pytest.fixture
async def hub(database: Database, tmp_path: Path) -> AsyncIterator[CallHub]:
    hub = CallHub(database, Settings(data_dir=tmp_path, database_url=database.url, _env_file=None))  # type: ignore[call-arg]
    await hub.start()
    yield hub
    await hub.stop()


async def write_elsewhere(url: str, call_id: str) -> float:
    """Seconds a write to the call's row takes on a connection of another engine (fails if it waits long)."""
    other = Database(url, busy_timeout_seconds=0.5)
    started = time.monotonic()
    try:
        async with other.sessions() as session:
            if not other.is_sqlite:
                await session.execute(text("SET LOCAL lock_timeout = '500ms'"))
            await session.execute(update(Call).where(Call.id == call_id).values(notes="still writable"))
            await session.commit()
    finally:
        await other.close()
    return time.monotonic() - started


async def test_a_cancelled_log_event_leaves_no_transaction_open(hub: CallHub, database: Database) -> None:
    call, _ = await hub.create_call("Pat Caller", None, None)
    # Kept, as assist keeps its cancelled tasks: what a cancel left behind must not outlive the cancel.
    cancelled: list[asyncio.Task[None]] = []
    alert = {"utterance_seq": 1, "score": -0.9, "trend": -0.8, "reason": "test"}
    started = time.monotonic()
    for _ in range(3):
        await hub.log_event(call.id, "sentiment_alert", **alert)
    whole = (time.monotonic() - started) / 3
    for step in range(60):  # cancel at every point of the append: before, inside the statements, at commit
        task = asyncio.ensure_future(hub.log_event(call.id, "sentiment_alert", **alert))
        await asyncio.sleep(whole * step / 40)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        cancelled.append(task)
        delay_ms = whole * step / 40 * 1000
        assert await write_elsewhere(database.url, call.id) < 1.0, f"locked after a cancel {delay_ms:.2f} ms in"
    assert await database.writable() == "ok"
    async with database.sessions() as session:
        seqs = [event.seq for event in await read_events(session, call.id)]
    assert seqs == list(range(1, len(seqs) + 1))


# ---------------------------------------------------------------- health


async def test_health_says_so_when_the_database_cannot_write(server: RunningServer) -> None:
    async with server.http() as http:
        healthy = await http.get("/api/health")
        assert (healthy.status_code, healthy.json()["database"]) == (200, "ok")
        if not server.database_url.startswith("sqlite"):
            return  # a PostgreSQL write lock is per row: there is no database-wide one to hold
        holder = sqlite3.connect(server.database_url.split(":///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # what a stuck writer holds
        try:
            started = time.monotonic()
            locked = await http.get("/api/health")
            waited = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
        assert locked.status_code == 503
        assert (locked.json()["status"], locked.json()["database"]) == ("degraded", "locked")
        assert waited < HEALTH_PROBE_SECONDS + 1.5
        assert (await http.get("/api/health")).status_code == 200
