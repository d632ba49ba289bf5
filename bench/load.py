"""Load: N concurrent calls through a real `earshot serve`, a chat every 2 s each, a supervisor watching.

Each call is a customer socket and an agent socket (one agent per call); a supervisor socket
watches every call. Every customer sends a chat line every 2 s (staggered); the bench notes
when each line reaches the agent and the supervisor. Reported per level: calls started (and
refused, with status), chat lines sent, delivered to the agent, lost, delivery p50/p95 (to
the agent and to the supervisor), errors by code, sockets closed by the server, the answers
to a tenth more callers who try to start a call halfway through (201, or 503 when busy), and
the server's CPU use.

    python bench/load.py --calls 25 50 100 --seconds 30
    python bench/load.py --calls 25 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Capacity is the largest level whose p95 stays under a second with nothing lost; run it again
at 2x and 4x that to see how overload degrades.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CHAT_INTERVAL_S = 2.0
DRAIN_S = 5.0


@dataclass
class Tally:
    sent: dict[str, float] = field(default_factory=dict)  # chat text -> when sent
    to_agent: dict[str, float] = field(default_factory=dict)
    to_supervisor: dict[str, float] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)
    late: Counter[int] = field(default_factory=Counter)  # status of calls started mid-run, under load


def start_server(port: int, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    data_dir = tempfile.mkdtemp(prefix="earshot-load-")
    env = {
        **os.environ,
        "EARSHOT_DATA_DIR": data_dir,
        "EARSHOT_LOG_LEVEL": "WARNING",
        # Every bench client comes from 127.0.0.1: only the overall budgets apply.
        "EARSHOT_CALL_START_BURST_PER_ADDRESS": "100000",
        "EARSHOT_CALL_STARTS_PER_MINUTE_PER_ADDRESS": "100000",
    }
    if database_url:
        env["EARSHOT_DATABASE_URL"] = database_url
    log = open(Path(data_dir) / "server.log", "wb")  # noqa: SIM115 - the server's own output, kept for reading after
    print(f"server log: {log.name}", file=sys.stderr)
    command = [sys.executable, "-m", "earshot", "serve", "--demo", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


async def fresh_database(server_url: str) -> str:
    """A new, empty PostgreSQL database on the server `server_url` points at (one per level)."""
    import asyncpg

    name = f"earshot_load_{random.randrange(16**8):08x}"
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def login(http: httpx.AsyncClient, username: str, password: str) -> str:
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return str(response.json()["token"])


async def agent_tokens(http: httpx.AsyncClient, count: int) -> list[str]:
    admin = {"Authorization": f"Bearer {await login(http, 'admin', 'admin-demo-pass')}"}
    tokens = []
    for i in range(count):
        username = f"load-agent-{i}"
        user = {"username": username, "display_name": f"Load Agent {i}", "password": "load-pass-123", "role": "agent"}
        await http.post("/api/users", json=user, headers=admin)
        tokens.append(await login(http, username, "load-pass-123"))
    return tokens


async def read(ws: ClientConnection, tally: Tally, seen: dict[str, float], on: dict[str, Any]) -> None:
    """Note every chat's arrival and every error; `on` maps message types to callbacks."""
    try:
        async for raw in ws:
            message = json.loads(raw)
            kind = message["type"]
            if kind == "chat":
                seen.setdefault(message["text"], time.monotonic())
            elif kind == "error":
                tally.errors[message["code"]] += 1
            if kind in on:
                await on[kind](message)
    except ConnectionClosed as closed:
        if closed.rcvd is not None and closed.rcvd.code != 1000:
            tally.closes[closed.rcvd.code] += 1


async def run_level(base_url: str, calls: int, seconds: float) -> Tally:
    tally = Tally()
    ws_url = base_url.replace("http://", "ws://")
    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        tokens = await agent_tokens(http, calls)
        supervisor_token = await login(http, "supervisor", "supervisor-demo-pass")
        supervisor = await connect(ws_url + "/ws/supervisor", additional_headers={"Authorization": f"Bearer {supervisor_token}"})
        tasks.append(asyncio.create_task(read(supervisor, tally, tally.to_supervisor, {})))
        started: list[str] = []

        async def console(token: str) -> ClientConnection:
            ws = await connect(ws_url + "/ws/agent", additional_headers={"Authorization": f"Bearer {token}"})

            async def accept(offer: dict[str, Any]) -> None:
                await ws.send(json.dumps({"type": "accept_offer", "call_id": offer["call_id"]}))

            async def watch(event: dict[str, Any]) -> None:
                started.append(event["call_id"])
                await supervisor.send(json.dumps({"type": "watch", "call_id": event["call_id"]}))

            tasks.append(asyncio.create_task(read(ws, tally, tally.to_agent, {"call_offer": accept, "call_started": watch})))
            await ws.send(json.dumps({"type": "set_availability", "available": True}))
            return ws

        agents = [await console(token) for token in tokens]
        customers: list[ClientConnection] = []
        for _ in range(calls):
            response = await http.post("/api/calls", json={"name": "Load Caller"})
            if response.status_code != 201:
                tally.refused[response.status_code] += 1
                continue
            body = response.json()
            ws = await connect(f"{ws_url}/ws/call/{body['call_id']}", subprotocols=["earshot.v1", f"token.{body['token']}"])  # type: ignore[list-item]
            customers.append(ws)
            tasks.append(asyncio.create_task(read(ws, tally, {}, {})))
        deadline = time.monotonic() + 30
        while len(started) < len(customers) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

        async def chatter(index: int, ws: ClientConnection) -> None:
            await asyncio.sleep(random.uniform(0, CHAT_INTERVAL_S))
            end = time.monotonic() + seconds
            line = 0
            while time.monotonic() < end:
                text = f"call {index} line {line}"
                tally.sent[text] = time.monotonic()
                try:
                    await ws.send(json.dumps({"type": "chat", "text": text}))
                except ConnectionClosed:
                    return
                line += 1
                await asyncio.sleep(CHAT_INTERVAL_S)

        async def newcomers() -> None:
            """Halfway through, a tenth more callers try to get in: under overload they are told busy."""
            await asyncio.sleep(seconds / 2)
            for _ in range(max(1, calls // 10)):
                tally.late[(await http.post("/api/calls", json={"name": "Late Caller"})).status_code] += 1

        await asyncio.gather(newcomers(), *(chatter(i, ws) for i, ws in enumerate(customers)))
        await asyncio.sleep(DRAIN_S)
        for ws in [*customers, *agents, supervisor]:
            await ws.close()
        for task in tasks:
            task.cancel()
    return tally


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(calls: int, tally: Tally, cpu: float, seconds: float) -> dict[str, Any]:
    to_agent = [tally.to_agent[t] - sent for t, sent in tally.sent.items() if t in tally.to_agent]
    to_supervisor = [tally.to_supervisor[t] - sent for t, sent in tally.sent.items() if t in tally.to_supervisor]
    return {
        "calls": calls,
        "refused": dict(tally.refused),
        "late_calls": dict(tally.late),
        "sent": len(tally.sent),
        "delivered": len(to_agent),
        "lost": len(tally.sent) - len(to_agent),
        "p50_ms": round(percentile(to_agent, 50) * 1000),
        "p95_ms": round(percentile(to_agent, 95) * 1000),
        "supervisor_p95_ms": round(percentile(to_supervisor, 95) * 1000),
        "errors": dict(tally.errors),
        "closed": dict(tally.closes),
        "server_cpu": round(cpu / (seconds + DRAIN_S), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--postgres", metavar="URL", default=None,
        help="PostgreSQL server (postgresql+asyncpg://user@host:port/db): each level gets a fresh database there",
    )
    args = parser.parse_args()
    for calls in args.calls:
        database_url = asyncio.run(fresh_database(args.postgres)) if args.postgres else None
        process, base_url = start_server(args.port, database_url)
        try:
            before = cpu_seconds(process.pid)
            tally = asyncio.run(run_level(base_url, calls, args.seconds))
            print(json.dumps(report(calls, tally, cpu_seconds(process.pid) - before, args.seconds)), flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
