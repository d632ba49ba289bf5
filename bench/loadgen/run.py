"""A load run on a started cluster: accounts, the crowd, an instance killed on cue, and each instance's use.

Memory and CPU are read from /proc for each instance's whole process tree (the server and its
assist workers), so the figures are what the instance costs the machine.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.loadgen.link import Link, Tally
from bench.loadgen.parties import Crowd, agent, caller, hang_up_leftovers, supervisor
from earshot.auth.models import Role, User
from earshot.auth.security import hash_password
from earshot.db import Database
from tests.cluster.harness import Cluster

PASSWORD = "load-pass-123"
DRAIN_S = 5.0  # after the last hang-up: let the last events arrive
READY_WITHIN_S = 300.0


@dataclass
class Plan:
    calls: int = 100
    seconds: float = 300.0
    call_seconds: float = 30.0
    speech_legs: int = 0
    supervisors: int = 4
    kill_at: float | None = None  # seconds into the run: kill -9 the first instance


@dataclass
class Usage:
    """One instance's process tree: RSS (bytes) when sampled, and CPU seconds used."""

    rss: dict[str, int] = field(default_factory=dict)  # "start", "middle", "end" -> bytes
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    killed: bool = False


@dataclass
class Outcome:
    tally: Tally
    usage: list[Usage]
    elapsed: float  # seconds from the first call to the end of the drain
    killed_at: float | None = None
    load: tuple[str, str] = ("", "")


def _tree(root: int) -> list[int]:
    """`root` and its descendants (assist's pool runs under a forkserver: grandchildren)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def rss_bytes(root: int) -> int:
    total = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def cpu_seconds(root: int) -> float:
    """User and system CPU of the tree, with children the tree already reaped."""
    total = 0.0
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


async def seed_accounts(database_url: str, agents: int, supervisors: int) -> None:
    """The run's agents and supervisors, all with one password hash (Argon2 is slow by design)."""
    hashed = await asyncio.to_thread(hash_password, PASSWORD)
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            for role, prefix, count in ((Role.agent, "load-agent", agents), (Role.supervisor, "load-supervisor", supervisors)):
                for i in range(count):
                    session.add(User(username=f"{prefix}-{i}", display_name=f"{prefix} {i}", password_hash=hashed,
                                     role=role, is_active=True))
            await session.commit()
    finally:
        await db.close()


async def _logins(http: httpx.AsyncClient, usernames: list[str]) -> list[str]:
    gate = asyncio.Semaphore(8)

    async def login(username: str) -> str:
        async with gate:
            response = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            response.raise_for_status()
            return str(response.json()["token"])

    return list(await asyncio.gather(*(login(u) for u in usernames)))


async def wait_transcription_ready(cluster: Cluster, token: str) -> None:
    """Until every instance has its speech model loaded (speech legs are not timed against start-up)."""
    deadline = time.monotonic() + READY_WITHIN_S
    for instance in cluster.instances:
        async with httpx.AsyncClient(base_url=instance.url, headers={"Authorization": f"Bearer {token}"}) as http:
            while not (await http.get("/api/transcription/status")).json().get("ready"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{instance.name}: transcription did not become ready")
                await asyncio.sleep(0.5)


def _sample(cluster: Cluster, usage: list[Usage], when: str) -> None:
    for instance, used in zip(cluster.instances, usage):
        if instance.process is not None:
            used.rss[when] = rss_bytes(instance.process.pid)
            used.cpu_end = cpu_seconds(instance.process.pid)


async def run_load(cluster: Cluster, plan: Plan, speech: list[bytes] | None) -> Outcome:
    """Drive `plan` through the cluster's balancer; the cluster's database must have the accounts."""
    if plan.kill_at is not None and len(cluster.instances) < 2:
        raise ValueError("killing an instance needs another one to take over (--instances 2 or more)")
    tally = Tally()
    usage = [Usage() for _ in cluster.instances]
    base_url = cluster.nginx.url
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        agent_tokens = await _logins(http, [f"load-agent-{i}" for i in range(plan.calls)])
        supervisor_tokens = await _logins(http, [f"load-supervisor-{i}" for i in range(plan.supervisors)])
        if speech:
            await wait_transcription_ready(cluster, supervisor_tokens[0])
        crowd = Crowd(base_url, tally, deadline=float("inf"), http=http)
        agents = [await agent(crowd, token) for token in agent_tokens]
        links: list[Link] = [await supervisor(crowd, t, i, len(supervisor_tokens)) for i, t in enumerate(supervisor_tokens)]
        links += agents
        started_at = time.monotonic()
        crowd.deadline = started_at + plan.seconds
        _sample(cluster, usage, "start")
        for used in usage:
            used.cpu_start = used.cpu_end
        outcome = Outcome(tally, usage, 0.0, load=(load_average(), ""))

        async def middle() -> None:
            await asyncio.sleep(plan.seconds / 2)
            _sample(cluster, usage, "middle")

        async def kill() -> None:
            if plan.kill_at is None:
                return
            await asyncio.sleep(plan.kill_at)
            _sample(cluster, usage, "before kill")
            cluster.instances[0].kill()
            usage[0].killed = True
            outcome.killed_at = time.monotonic() - started_at

        legs = min(plan.speech_legs, plan.calls)
        callers = [caller(crowd, slot, plan.call_seconds, speech if slot < legs else None) for slot in range(plan.calls)]
        await asyncio.gather(middle(), kill(), *callers)
        crowd.stopping = True
        await hang_up_leftovers(agents)
        await asyncio.sleep(DRAIN_S)
        outcome.elapsed = time.monotonic() - started_at
        _sample(cluster, usage, "end")
        outcome.load = (outcome.load[0], load_average())
        for link in links:
            await link.close()
    return outcome
