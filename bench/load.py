"""Load: N concurrent calls through a real `earshot serve`, a chat every 2 s each, a supervisor watching.

Each call is a customer socket and an agent socket (one agent per call); a supervisor socket
watches every call. Every customer sends a chat line every 2 s (staggered); the bench notes
when each line reaches the agent and the supervisor. Reported per level: calls started (and
refused, with status), chat lines sent, delivered to the agent, lost, delivery p50/p95 (to
the agent and to the supervisor), errors by code, sockets closed by the server, the answers
to a tenth more callers who try to start a call halfway through (201, or 503 when busy), and
the server's CPU use (and the load average of the machine, which shares its cores with it).

With `--call-seconds S` calls turn over: after S seconds of chat the customer hangs up, the
agent wraps the call up and takes the next one, and a new customer calls in, so N calls stay
live all the time. At the end the event log is read from the database: every call's seqs run
1..n with no gap, every chat line the server did not refuse is logged exactly once, and no
utterance got two sentiments or two suggestions (lost and duplicated logged events).

    python bench/load.py --calls 25 50 100 --seconds 30
    python bench/load.py --calls 25 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    python bench/load.py --calls 100 --seconds 60 --call-seconds 20

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
    refused_lines: set[str] = field(default_factory=set)  # client_id of chat lines the server answered with an error
    calls_made: int = 0
    wrapped_up: int = 0
    server_cpu: float = 0.0  # cores the server used while the calls ran (not while agents were created)
    workers_cpu: float = 0.0  # cores its child processes (assist's workers) used meanwhile
    elapsed: float = 0.0  # seconds from the first call to the end of the drain
    load: tuple[str, str] = ("", "")  # the machine's load average as the calls started and at the end


def start_server(port: int, database_url: str | None) -> tuple[subprocess.Popen[bytes], str, str]:
    """The server process, its base URL and its database URL."""
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
                return process, base_url, database_url or f"sqlite:///{Path(data_dir) / 'earshot.db'}"
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


def children_cpu_seconds(pid: int) -> float:
    """CPU of the server's child processes now running (assist's workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


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
                if message.get("ref_id"):
                    tally.refused_lines.add(message["ref_id"])
            if kind in on:
                await on[kind](message)
    except ConnectionClosed as closed:
        if closed.rcvd is not None and closed.rcvd.code != 1000:
            tally.closes[closed.rcvd.code] += 1


async def run_level(base_url: str, server_pid: int, calls: int, seconds: float, call_seconds: float | None) -> Tally:
    tally = Tally()
    ws_url = base_url.replace("http://", "ws://")
    tasks: list[asyncio.Task[None]] = []
    # Creating the agents hashes their passwords (Argon2, slow by design): minutes on a loaded machine.
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        tokens = await agent_tokens(http, calls)
        supervisor_token = await login(http, "supervisor", "supervisor-demo-pass")
        supervisor = await connect(ws_url + "/ws/supervisor", additional_headers={"Authorization": f"Bearer {supervisor_token}"})
        tasks.append(asyncio.create_task(read(supervisor, tally, tally.to_supervisor, {})))

        async def console(token: str) -> ClientConnection:
            ws = await connect(ws_url + "/ws/agent", additional_headers={"Authorization": f"Bearer {token}"})

            async def accept(offer: dict[str, Any]) -> None:
                await ws.send(json.dumps({"type": "accept_offer", "call_id": offer["call_id"]}))

            async def watch(event: dict[str, Any]) -> None:
                await supervisor.send(json.dumps({"type": "watch", "call_id": event["call_id"]}))

            async def wrap_up(event: dict[str, Any]) -> None:
                # The customer hung up: note how it went, and be offered the next caller.
                await ws.send(json.dumps({"type": "wrap_up", "call_id": event["call_id"], "disposition": "resolved"}))
                tally.wrapped_up += 1

            on = {"call_offer": accept, "call_started": watch, "call_ended": wrap_up}
            tasks.append(asyncio.create_task(read(ws, tally, tally.to_agent, on)))
            await ws.send(json.dumps({"type": "set_availability", "available": True}))
            return ws

        agents = [await console(token) for token in tokens]
        closing: list[ClientConnection] = []
        cpu_before, children_before = cpu_seconds(server_pid), children_cpu_seconds(server_pid)
        started_at, tally.load = time.monotonic(), (load_average(), "")
        deadline = started_at + seconds

        async def call(index: int, number: int, until: float) -> bool:
            """One customer's call: chat every 2 s until `until`, then hang up (False if refused)."""
            response = await http.post("/api/calls", json={"name": f"Load Caller {index}"})
            if response.status_code != 201:
                tally.refused[response.status_code] += 1
                return False
            tally.calls_made += 1
            body = response.json()
            ws = await connect(f"{ws_url}/ws/call/{body['call_id']}", subprotocols=["earshot.v1", f"token.{body['token']}"])  # type: ignore[list-item]
            started = asyncio.Event()

            async def on_started(_: dict[str, Any]) -> None:
                started.set()

            reader = asyncio.create_task(read(ws, tally, {}, {"call_started": on_started}))
            tasks.append(reader)
            try:
                await asyncio.wait_for(started.wait(), timeout=60)
            except TimeoutError:
                await ws.close()
                return True
            line = 0
            while time.monotonic() < until:
                client_id = f"{index}.{number}.{line}"
                text = f"caller {index} call {number} line {line}"
                tally.sent[text] = time.monotonic()
                try:
                    await ws.send(json.dumps({"type": "chat", "text": text, "client_id": client_id}))
                except ConnectionClosed:
                    return True
                line += 1
                await asyncio.sleep(CHAT_INTERVAL_S)
            if call_seconds is not None:
                await ws.send(json.dumps({"type": "end_call"}))
                await asyncio.sleep(1.0)  # let the hang-up land before the socket goes
                await ws.close()
            else:
                closing.append(ws)  # the call stays up until the end
            return True

        async def caller(index: int) -> None:
            await asyncio.sleep(random.uniform(0, CHAT_INTERVAL_S))
            number = 0
            while time.monotonic() < deadline:
                length = call_seconds if call_seconds is not None else seconds
                if not await call(index, number, min(deadline, time.monotonic() + length)):
                    await asyncio.sleep(CHAT_INTERVAL_S)  # told busy: try again a little later
                number += 1

        async def newcomers() -> None:
            """Halfway through, a tenth more callers try to get in: under overload they are told busy."""
            await asyncio.sleep(seconds / 2)
            for _ in range(max(1, calls // 10)):
                response = await http.post("/api/calls", json={"name": "Late Caller"})
                tally.late[response.status_code] += 1
                if response.status_code == 201:  # hang up at once: no agent is kept on a silent call
                    body = response.json()
                    ws = await connect(f"{ws_url}/ws/call/{body['call_id']}", subprotocols=["earshot.v1", f"token.{body['token']}"])  # type: ignore[list-item]
                    await ws.send(json.dumps({"type": "end_call"}))
                    closing.append(ws)

        await asyncio.gather(newcomers(), *(caller(i) for i in range(calls)))
        await asyncio.sleep(DRAIN_S)
        elapsed = tally.elapsed = time.monotonic() - started_at
        tally.server_cpu = (cpu_seconds(server_pid) - cpu_before) / elapsed
        tally.workers_cpu = (children_cpu_seconds(server_pid) - children_before) / elapsed
        tally.load = (tally.load[0], load_average())
        for ws in [*closing, *agents, supervisor]:
            await ws.close()
        for task in tasks:
            task.cancel()
    return tally


async def check_log(database_url: str, tally: Tally) -> dict[str, int]:
    """Lost and duplicated events, read from the database the server wrote."""
    rows = await read_events(database_url)
    seqs: dict[str, list[int]] = {}
    chats: Counter[str] = Counter()
    answers: Counter[tuple[str, str, int]] = Counter()
    for call_id, seq, kind, payload in rows:
        seqs.setdefault(call_id, []).append(seq)
        if kind == "chat" and payload.get("speaker") == "customer":
            chats[payload["text"]] += 1
        elif kind == "suggestion":
            answers[(call_id, kind, payload["answers_seq"])] += 1
        elif kind == "sentiment":
            answers[(call_id, kind, payload["utterance_seq"])] += 1
    gaps = sum(max(s) - len(set(s)) for s in seqs.values())
    repeated_seqs = sum(len(s) - len(set(s)) for s in seqs.values())
    refused = {text for text in tally.sent if text_id(text) in tally.refused_lines}
    return {
        "calls_logged": len(seqs),
        "seq_gaps": gaps,
        "seq_repeats": repeated_seqs,
        "chat_lost": sum(1 for text in tally.sent if chats[text] == 0 and text not in refused),
        "chat_refused": len(refused),
        "chat_duplicated": sum(n - 1 for n in chats.values() if n > 1),
        "assist_duplicated": sum(n - 1 for n in answers.values() if n > 1),
    }


def text_id(text: str) -> str:
    """The client_id the bench gave a chat line ("caller 3 call 0 line 7" -> "3.0.7")."""
    words = text.split()
    return f"{words[1]}.{words[3]}.{words[5]}"


async def read_events(database_url: str) -> list[tuple[str, int, str, dict[str, Any]]]:
    query = "SELECT call_id, seq, type, payload FROM call_events"
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.split("///", 1)[1]) as db:
            return [(c, s, t, json.loads(p)) for c, s, t, p in db.execute(query)]
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        records = await conn.fetch(query)
    finally:
        await conn.close()
    return [(r[0], r[1], r[2], json.loads(r[3]) if isinstance(r[3], str) else r[3]) for r in records]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(calls: int, tally: Tally) -> dict[str, Any]:
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
        "max_ms": round(max(to_agent, default=float("nan")) * 1000),
        "supervisor_p95_ms": round(percentile(to_supervisor, 95) * 1000),
        "errors": dict(tally.errors),
        "closed": dict(tally.closes),
        "server_cpu": round(tally.server_cpu, 2),
        "workers_cpu": round(tally.workers_cpu, 2),
        # CPU per chat line sent: less at the mercy of other work on the machine than latency is.
        "server_cpu_ms_per_line": round(1000 * tally.server_cpu * tally.elapsed / max(1, len(tally.sent)), 1),
        "workers_cpu_ms_per_line": round(1000 * tally.workers_cpu * tally.elapsed / max(1, len(tally.sent)), 1),
        "calls_made": tally.calls_made,
        "wrapped_up": tally.wrapped_up,
        "load_before": tally.load[0],
        "load_after": tally.load[1],
    }


def load_average() -> str:
    """The 1-minute load average: how busy the machine the figures came from was."""
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--postgres", metavar="URL", default=None,
        help="PostgreSQL server (postgresql+asyncpg://user@host:port/db): each level gets a fresh database there",
    )
    parser.add_argument(
        "--call-seconds", type=float, default=None,
        help="calls turn over: each lasts this long, then the agent wraps it up and takes the next caller",
    )
    args = parser.parse_args()
    for calls in args.calls:
        database_url = asyncio.run(fresh_database(args.postgres)) if args.postgres else None
        process, base_url, written_to = start_server(args.port, database_url)
        try:
            tally = asyncio.run(run_level(base_url, process.pid, calls, args.seconds, args.call_seconds))
            result = report(calls, tally)
        finally:
            process.terminate()
            process.wait(timeout=60)
        result["log"] = asyncio.run(check_log(written_to, tally))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
