"""Two `earshot serve` processes on one PostgreSQL database and one Redis: calls cross instances and survive one dying.

No load balancer: each client picks its instance. Instance 1 is killed with SIGKILL (no
goodbye, no call ended); its customer then reconnects to instance 2, or the grace ends the call.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from earshot.auth.demo import seed_demo_users
from earshot.config import Settings
from earshot.db import Database
from tests.harness import RunningServer, WsClient, free_port

try:  # where the throwaway redis-server lives once the load-balancer harness is merged
    from tests.redis_server import RedisServer
except ImportError:
    from tests.bus.conftest import RedisServer  # type: ignore[no-redef]

GRACE_SECONDS = 6.0
EXPIRY_SECONDS = 2.0
SECRET = "cluster-test-secret-" + "y" * 32


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but redis-server is not installed (run scripts/install-system-deps.sh)")
        pytest.skip("redis-server is not installed (scripts/install-system-deps.sh installs it)")
    server = RedisServer(executable, tmp_path)
    server.start()
    yield server
    server.kill()


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    server: RunningServer

    def kill(self) -> None:
        """Die at once, as a crash would: sockets drop, nothing is ended or written."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def _settings(data_dir: Path, database_url: str, bus_url: str, port: int) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=database_url,
        bus_url=bus_url,
        secret_key=SECRET,
        port=port,
        offer_timeout_seconds=10.0,
        reconnect_grace_seconds=GRACE_SECONDS,
        instance_heartbeat_seconds=0.5,
        instance_expiry_seconds=EXPIRY_SECONDS,
        _env_file=None,
    )


def _start(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EARSHOT_DATA_DIR": str(settings.data_dir),
        "EARSHOT_DATABASE_URL": settings.resolved_database_url,
        "EARSHOT_BUS_URL": settings.bus_url,
        "EARSHOT_SECRET_KEY": SECRET,
        "EARSHOT_OFFER_TIMEOUT_SECONDS": str(settings.offer_timeout_seconds),
        "EARSHOT_RECONNECT_GRACE_SECONDS": str(settings.reconnect_grace_seconds),
        "EARSHOT_INSTANCE_HEARTBEAT_SECONDS": str(settings.instance_heartbeat_seconds),
        "EARSHOT_INSTANCE_EXPIRY_SECONDS": str(settings.instance_expiry_seconds),
        "EARSHOT_BUSY_LOOP_LAG_MS": "60000",
        "EARSHOT_ASSIST_SHED_LOOP_LAG_MS": "60000",
        "EARSHOT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "earshot", "serve", "--port", str(settings.port)]
    process = subprocess.Popen(command, env=env, cwd=settings.data_dir)
    deadline = time.monotonic() + 90  # a start-up on a loaded machine can take a while
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{settings.port}/api/health", timeout=2)
            return process
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("an instance did not start") from None
            time.sleep(0.2)


@pytest.fixture
async def cluster(
    database_url: str, redis: RedisServer, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    if database_url.startswith("sqlite"):
        pytest.skip("several instances share PostgreSQL; SQLite serves one")
    db = Database(database_url)
    await db.migrate()
    async with db.sessions() as session:
        await seed_demo_users(session)
        await session.commit()
    await db.close()
    instances: list[Instance] = []
    try:
        for number in (1, 2):
            data_dir = tmp_path / f"instance{number}"
            data_dir.mkdir()
            settings = _settings(data_dir, database_url, redis.url, free_port())
            process = _start(settings)
            server = RunningServer(f"http://127.0.0.1:{settings.port}", settings, database_url)
            instances.append(Instance(process, server))
        yield instances[0], instances[1]
    finally:
        for instance in instances:
            for client in instance.server.clients:
                await client.close()
            if instance.process.poll() is None:
                instance.process.terminate()
                instance.process.wait(timeout=30)


async def _call_across(one: RunningServer, two: RunningServer) -> tuple[str, str, WsClient, WsClient, WsClient]:
    """A customer on instance 1 answered by an agent on instance 2, watched by a supervisor on instance 2."""
    supervisor = await two.ws("/ws/supervisor", token=await two.login("supervisor"))
    await supervisor.expect("live_calls")
    agent = await two.agent("agent1")
    call_id, token, customer = await one.customer("Pat Caller")
    await customer.expect("resumed")
    offer = await agent.expect("call_offer", call_id=call_id, timeout=10)
    await agent.send({"type": "accept_offer", "call_id": offer["call_id"]})
    await customer.expect("call_started", timeout=10)
    live = await supervisor.expect("live_calls", timeout=10)
    while not any(c["call_id"] == call_id and c["status"] == "active" for c in live["calls"]):
        live = await supervisor.expect("live_calls", timeout=10)
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed", call_id=call_id)
    await customer.send({"type": "chat", "text": "hello from instance one"})
    await agent.expect("chat", text="hello from instance one", timeout=10)
    await agent.send({"type": "chat", "call_id": call_id, "text": "hello from instance two"})
    await customer.expect("chat", text="hello from instance two", timeout=10)
    await supervisor.expect("chat", text="hello from instance two", timeout=10)
    return call_id, token, customer, agent, supervisor


def _seqs(client: WsClient, call_id: str) -> list[int]:
    return [m["seq"] for m in client.seen if m.get("call_id") == call_id and isinstance(m.get("seq"), int)]


async def test_customer_resumes_on_the_other_instance_after_a_crash(cluster: tuple[Instance, Instance]) -> None:
    first, second = cluster
    call_id, token, customer, agent, supervisor = await _call_across(first.server, second.server)
    last_seen = max(_seqs(customer, call_id))

    first.kill()
    away = await agent.expect("party_disconnected", speaker="customer", timeout=EXPIRY_SECONDS + 5)
    await agent.send({"type": "chat", "call_id": call_id, "text": "are you still there?"})
    await agent.expect("chat", text="are you still there?")

    back = await second.server.call_ws(call_id, token, last_seq=last_seen)
    await back.expect("hello")
    missed = await back.expect("chat", text="are you still there?")
    assert missed["seq"] > away["seq"]
    await back.expect("resumed", call_id=call_id)
    await agent.expect("party_reconnected", speaker="customer", timeout=10)
    await back.send({"type": "chat", "text": "yes, on the other one now"})
    await agent.expect("chat", text="yes, on the other one now", timeout=10)
    await supervisor.expect("chat", text="yes, on the other one now", timeout=10)

    # Every logged event reached each party once, in order and without a gap.
    for client in (agent, supervisor):
        seqs = _seqs(client, call_id)
        assert seqs == sorted(set(seqs)), seqs
    customer_seqs = _seqs(customer, call_id) + _seqs(back, call_id)
    assert len(customer_seqs) == len(set(customer_seqs)), customer_seqs
    async with second.server.http(await second.server.login("supervisor")) as http:
        logged = (await http.get(f"/api/calls/{call_id}/events")).json()
    assert [e["seq"] for e in logged] == list(range(1, len(logged) + 1))
    assert [e["type"] for e in logged].count("party_disconnected") == 1


async def test_the_grace_ends_the_call_when_the_customer_does_not_come_back(
    cluster: tuple[Instance, Instance],
) -> None:
    first, second = cluster
    call_id, _token, _customer, agent, supervisor = await _call_across(first.server, second.server)
    first.kill()
    await agent.expect("party_disconnected", speaker="customer", timeout=EXPIRY_SECONDS + 5)
    ended = await agent.expect("call_ended", timeout=GRACE_SECONDS + 5)
    assert (ended["reason"], ended["ended_by"]) == ("dropped", "system")
    await agent.expect("agent_state", status="wrap_up")
    await supervisor.expect("call_ended", call_id=call_id)


async def test_the_floor_shows_a_supervisor_what_happens_on_the_other_instance(
    cluster: tuple[Instance, Instance],
) -> None:
    first, second = cluster
    supervisor = await second.server.ws("/ws/supervisor", token=await second.server.login("supervisor"))
    await supervisor.expect("floor")

    def alex(floor: dict[str, object]) -> dict[str, object]:
        return next(a for a in floor["agents"] if a["agent_name"] == "Alex Agent")  # type: ignore[attr-defined, index]

    agent = await first.server.agent("agent1")
    await supervisor.expect_floor(lambda f: alex(f)["state"] == "available")
    call_id, _token, customer = await first.server.customer("Pat Caller")
    await agent.expect("call_offer", call_id=call_id, timeout=10)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    talking = await supervisor.expect_floor(lambda f: alex(f)["state"] == "in_call")
    assert (alex(talking)["call_id"], alex(talking)["customer_name"]) == (call_id, "Pat Caller")
    await customer.send({"type": "end_call"})
    await agent.expect("call_ended", timeout=10)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    done = await supervisor.expect_floor(lambda f: f["today"]["resolution_rate"] == 1.0)  # type: ignore[index]
    assert done["today"]["calls_handled"] == 1 and alex(done)["state"] == "available"
