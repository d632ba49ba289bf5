"""Metrics benchmark: dashboard queries over 100,000 calls in 30 days, on SQLite and PostgreSQL.

Fills a fresh database with calls and their derived facts (`call_facts`, as the hub's observer
or `earshot metrics rebuild` writes them) and the agents' state log (`agent_events`: offered,
in call, wrap-up, available around every call), then times the summary, the per-agent table
and the daily series for the whole 30-day range, and the summary for one day (today). Prints
p50/p95 in ms; the target is p95 <= 200 ms for summary and per-agent over 30 days.

Then it serves that database with a real Earshot app (uvicorn on a free port, in this process)
and times the live floor: a supervisor socket is open, a customer queues a call or hangs up, and
the time is taken until the supervisor receives the `floor` snapshot that shows it. The target is
p95 <= 100 ms. It is measured from the client's request, so it includes the request's own
handling and commit: an upper bound of the time after the event.

    .venv/bin/python bench/metrics.py                     # SQLite, in a temporary folder
    .venv/bin/python bench/metrics.py --database-url postgresql+asyncpg://USER@HOST:PORT/DB
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

import httpx
import uvicorn
from websockets.asyncio.client import connect

from earshot.app import create_app
from earshot.auth.models import Role, User
from earshot.auth.security import hash_password
from earshot.calls.models import Call
from earshot.config import Settings
from earshot.db import Database
from earshot.metrics import queries
from earshot.metrics.models import AgentEvent, CallFactsRow
from earshot.metrics.presence import rebuild_agent_time
from earshot.metrics.queries import Filters

# The history ends with today, so the live floor's tiles read a full day of calls.
END = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
CHUNK = 5000
ACTIONS = ["track_order", "offer_refund", "troubleshoot", "explain_billing", "reset_password", "cancel_service"]


def _calls(count: int, days: int, agents: int, rng: random.Random) -> tuple[list[dict[str, Any]], ...]:
    calls, facts, states = [], [], []
    start = END - timedelta(days=days)
    free_at = [start.timestamp()] * agents
    span = days * 86400
    for i in range(count):
        queued = start.timestamp() + span * i / count
        call_id = uuid.uuid4().hex
        queued_at = datetime.fromtimestamp(queued, UTC)
        calls.append(dict(id=call_id, status="ended", channel=rng.choice(["web", "phone"]), customer_name="Bench",
                          customer_token_hash="x", queued_at=queued_at, last_seq=6))
        wait = rng.expovariate(1 / 15)
        abandoned = wait > 60 and rng.random() < 0.5
        agent = None if abandoned else rng.randrange(agents) + 1
        talk, wrap = rng.uniform(60, 600), rng.uniform(10, 90)
        sentiments = rng.randrange(0, 8)
        rated = rng.randrange(0, 4)
        facts.append(dict(
            call_id=call_id, channel=calls[-1]["channel"], agent_id=agent, queued_at=queued_at,
            queued_epoch=int(queued), end_reason="abandoned" if abandoned else "hangup",
            disposition=None if abandoned else rng.choice(["resolved", "resolved", "unresolved", "escalated"]),
            handled=int(not abandoned), abandoned=int(abandoned), wrapped=int(not abandoned), resolved=0,
            wait_s=wait, answer_s=None if abandoned else wait, talk_s=None if abandoned else talk, wrap_s=None if abandoned else wrap,
            handle_s=None if abandoned else talk + wrap, first_response_s=None if abandoned else rng.uniform(1, 20),
            sentiment_sum=rng.uniform(-1, 1) * sentiments, sentiment_count=sentiments, scored=int(sentiments > 0),
            ended_negative=int(sentiments > 0 and rng.random() < 0.15), suggestions=rated + 1, suggestions_rated=rated,
            suggestions_accepted=rng.randrange(0, rated + 1), reconnects=0,
            reason=None if abandoned else rng.choice(ACTIONS),
        ))
        facts[-1]["resolved"] = int(facts[-1]["disposition"] == "resolved")
        if agent is not None:
            at = max(queued + wait, free_at[agent - 1])
            for state, offset in (("offered", -3), ("in_call", 0), ("wrap_up", talk), ("available", talk + wrap)):
                states.append(dict(agent_id=agent, state=state, at=datetime.fromtimestamp(at + offset, UTC),
                                   at_epoch=at + offset))
            free_at[agent - 1] = at + talk + wrap
    return calls, facts, states


async def fill(db: Database, count: int, days: int, agents: int) -> None:
    calls, facts, states = _calls(count, days, agents, random.Random(42))
    staff = [dict(id=i, username=f"agent{i}", display_name=f"Agent {i}", password_hash="x", role="agent",
                  is_active=True, created_at=END, updated_at=END) for i in range(1, agents + 1)]
    async with db.sessions() as session:
        await session.execute(insert(User), staff)
        for table, rows in ((Call, calls), (CallFactsRow, facts), (AgentEvent, states)):
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(table), rows[start : start + CHUNK])
        await session.commit()
    began = time.perf_counter()
    await rebuild_agent_time(db)
    print(f"agent_time rebuilt from the state log in {time.perf_counter() - began:.1f} s")
    print(f"{len(calls)} calls, {len(states)} agent states over {days} days, {agents} agents")


async def timed(db: Database, run: Callable[[Any], Awaitable[Any]], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        async with db.sessions() as session:
            began = time.perf_counter()
            await run(session)
            samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


async def main(args: argparse.Namespace) -> None:
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    db = Database(url)
    await db.migrate()
    began = time.perf_counter()
    await fill(db, args.calls, args.days, args.agents)
    print(f"filled in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})")
    if not db.is_sqlite:
        # What autovacuum does soon after a bulk load: planner statistics, and the visibility map
        # that lets the covering indexes answer without visiting the table.
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql("VACUUM ANALYZE")
    month = Filters(END - timedelta(days=args.days), END)
    day = Filters(END - timedelta(days=1), END)
    sl = 20.0
    cases: list[tuple[str, Callable[[Any], Awaitable[Any]]]] = [
        ("summary, 30 days", lambda s: queries.summary(s, month, sl)),
        ("per agent, 30 days", lambda s: queries.agents(s, month, sl)),
        ("series by day, 30 days", lambda s: queries.timeseries(s, month, "day", sl)),
        ("by reason, 30 days", lambda s: queries.reasons(s, month, sl)),
        ("summary, 1 day", lambda s: queries.summary(s, day, sl)),
    ]
    print(f"{'query':<26}{'p50 ms':>9}{'p95 ms':>9}")
    for name, run in cases:
        await timed(db, run, 2)  # warm the caches
        p50, p95 = await timed(db, run, args.repeat)
        print(f"{name:<26}{p50:9.1f}{p95:9.1f}")
    async with db.sessions() as session:
        # An explicit id like the agents' (PostgreSQL's sequence did not count those).
        await session.execute(insert(User), [dict(
            id=args.agents + 1, username="bench-supervisor", display_name="Bench Supervisor", role=Role.supervisor,
            password_hash=hash_password("bench-supervisor-pass"), is_active=True, created_at=END, updated_at=END,
        )])
        await session.commit()
    await db.close()
    samples = await floor_latency(url, args.floor_rounds, args.floor_gap)
    p50, p95 = statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{'live floor update':<26}{p50:9.1f}{p95:9.1f}   ({len(samples)} changes, max {samples[-1]:.1f} ms)")


async def floor_latency(url: str, rounds: int, gap: float) -> list[float]:
    """Milliseconds from a customer's request (queue a call, hang up) to the supervisor's `floor` showing it."""
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        settings = Settings(  # type: ignore[call-arg]
            database_url=url, data_dir=Path(folder), port=port, secret_key="bench-secret-" + "x" * 32,
            stt_engine="openai", assist_workers=0, metrics_check_seconds=0, busy_loop_lag_ms=60_000.0,
            _env_file=None,
        )
        server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
        serving = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                login = await http.post("/api/auth/login", json={"username": "bench-supervisor", "password": "bench-supervisor-pass"})
                headers = {"Authorization": f"Bearer {login.json()['token']}"}
                async with connect(f"ws://127.0.0.1:{port}/ws/supervisor", additional_headers=headers, max_size=2**24) as supervisor:
                    await _floor(supervisor, lambda floor: True)
                    samples = []
                    for _ in range(rounds):
                        began = time.perf_counter()
                        call = (await http.post("/api/calls", json={"name": "Bench Caller"})).json()
                        await _floor(supervisor, lambda floor: floor["queue"]["waiting"] == 1)
                        samples.append((time.perf_counter() - began) * 1000)
                        await asyncio.sleep(gap)
                        protocols = ["earshot.v1", f"token.{call['token']}"]
                        async with connect(f"ws://127.0.0.1:{port}/ws/call/{call['call_id']}", subprotocols=protocols) as customer:  # type: ignore[list-item]
                            await asyncio.sleep(gap)
                            began = time.perf_counter()
                            await customer.send('{"type": "end_call"}')
                            await _floor(supervisor, lambda floor: floor["queue"]["waiting"] == 0)
                            samples.append((time.perf_counter() - began) * 1000)
                        await asyncio.sleep(gap)
        finally:
            server.should_exit = True
            await serving
    return sorted(samples)


async def _floor(supervisor: Any, shows: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(supervisor.recv(), 10))
        if message["type"] == "floor" and shows(message):
            return message  # type: ignore[no-any-return]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="SQLAlchemy async URL of an empty database (default: SQLite)")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--floor-rounds", type=int, default=50, help="calls queued and hung up while a supervisor watches")
    parser.add_argument("--floor-gap", type=float, default=0.4, help="seconds between changes (more than the floor's coalescing)")
    asyncio.run(main(parser.parse_args()))
