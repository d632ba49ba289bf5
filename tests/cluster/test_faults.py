"""Faults of the parts instances share, on three `earshot serve` processes behind nginx.

Redis restarted mid-call, PostgreSQL unreachable for a while, a party's second socket on
another instance, and an instance killed while its offers and graces are pending. One cluster
serves the whole module (each start costs seconds); every test leaves it whole, its calls ended.
The instances reach PostgreSQL through a TCP proxy in this process, which a test cuts.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from earshot.calls.protocol import CUSTOMER_VISIBLE_EVENTS
from tests.cluster.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.cluster.harness import Cluster, create_postgres_database, prepare_database, start_cluster
from tests.harness import RunningServer, WsClient
from tests.redis_server import RedisServer, redis_executable
from tests.tcp_proxy import TcpProxy

OFFER_SECONDS = 3.0
GRACE_SECONDS = 4.0
HEARTBEAT_SECONDS = 0.5
EXPIRY_SECONDS = 2.0
WAIT = 20.0  # one step across processes on a loaded test machine
SHORT_TIMERS = {
    "EARSHOT_OFFER_TIMEOUT_SECONDS": str(OFFER_SECONDS),
    "EARSHOT_RECONNECT_GRACE_SECONDS": str(GRACE_SECONDS),
    "EARSHOT_INSTANCE_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
    "EARSHOT_INSTANCE_EXPIRY_SECONDS": str(EXPIRY_SECONDS),
}


class Faulty:
    """The module's cluster, and the proxy between its instances and PostgreSQL."""

    def __init__(self, cluster: Cluster, database: TcpProxy) -> None:
        self.cluster = cluster
        self.database = database

    @property
    def redis(self) -> RedisServer:
        return self.cluster.redis

    def on(self, index: int) -> RunningServer:
        return self.cluster.direct(index)


@pytest.fixture(scope="module")
async def faulty(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Faulty]:
    require_postgres()
    directory = tmp_path_factory.mktemp("faults")
    redis = RedisServer(redis_executable(), directory)
    redis.start()
    database_url = await create_postgres_database(POSTGRES_ADMIN_URL)
    await prepare_database(database_url)
    proxy = TcpProxy(urlsplit(database_url).port or 5432)
    await proxy.start()
    via_proxy = database_url.replace(f":{urlsplit(database_url).port}/", f":{proxy.port}/")
    cluster = await asyncio.to_thread(start_cluster, via_proxy, redis, directory, 3, SHORT_TIMERS)
    try:
        yield Faulty(cluster, proxy)
    finally:
        await asyncio.to_thread(cluster.stop)
        await proxy.stop()
        redis.kill()


async def _close(*servers: RunningServer) -> None:
    for server in servers:
        for client in server.clients:
            client.check()
            await client.close()


def _seqs(client: WsClient, call_id: str) -> list[int]:
    return [m["seq"] for m in client.seen if m.get("call_id") == call_id and isinstance(m.get("seq"), int)]


async def _logged(server: RunningServer, call_id: str) -> list[dict[str, Any]]:
    async with server.http(await server.login("supervisor")) as http:
        response = await http.get(f"/api/calls/{call_id}/events")
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()
    return events


async def _answered(customer_side: RunningServer, agent: WsClient, name: str) -> tuple[str, str, WsClient]:
    """A call from `name` on `customer_side`, offered to and accepted by `agent` (available already)."""
    call_id, token, customer = await customer_side.customer(name)
    await agent.expect("call_offer", WAIT, call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started", WAIT)
    await agent.expect("call_started", WAIT, call_id=call_id)
    return call_id, token, customer


async def _end(agent: WsClient, call_id: str) -> None:
    await agent.send({"type": "end_call", "call_id": call_id})
    await agent.expect("call_ended", WAIT, call_id=call_id)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    await agent.has_or_expect("agent_state", WAIT, status="available")


async def test_redis_restarted_mid_call_fan_out_resumes_and_every_event_arrives_once(faulty: Faulty) -> None:
    one, two = faulty.on(0), faulty.on(1)
    agent = await two.agent("agent1")
    call_id, _token, customer = await _answered(one, agent, "Pat Redis")
    supervisor = await one.ws("/ws/supervisor", token=await one.login("supervisor"))
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed", WAIT, call_id=call_id)
    await customer.send({"type": "chat", "text": "before the restart"})
    await agent.expect("chat", WAIT, text="before the restart")

    faulty.redis.kill()
    # Said while Redis is down: logged (no error to the sender), delivered once it is back.
    await customer.send({"type": "chat", "text": "while redis is down (customer)"})
    await agent.send({"type": "chat", "call_id": call_id, "text": "while redis is down (agent)"})
    await asyncio.sleep(1.0)
    faulty.redis.start()

    for client in (customer, agent, supervisor):
        await client.has_or_expect("chat", WAIT, text="while redis is down (customer)")
        await client.has_or_expect("chat", WAIT, text="while redis is down (agent)")
    # Fan-out is live again, both ways, on the same sockets.
    await agent.send({"type": "chat", "call_id": call_id, "text": "after the restart"})
    await customer.expect("chat", WAIT, text="after the restart")
    await supervisor.expect("chat", WAIT, text="after the restart")
    await customer.send({"type": "chat", "text": "heard you"})
    await agent.expect("chat", WAIT, text="heard you")
    await _end(agent, call_id)
    await customer.expect("call_ended", WAIT)
    await supervisor.expect("call_wrapped_up", WAIT)

    logged = await _logged(one, call_id)
    _assert_each_event_once(logged, {"agent": agent, "supervisor": supervisor}, {"customer": customer})
    await _close(one, two)


def _assert_each_event_once(
    logged: list[dict[str, Any]], staff: dict[str, WsClient], customers: dict[str, WsClient]
) -> None:
    """Every client had each logged event it may see once, in order, none missing, up to the call's end."""
    call_id = logged[0]["call_id"]
    assert [event["seq"] for event in logged] == list(range(1, len(logged) + 1))
    ended = next(event["seq"] for event in logged if event["type"] == "call_ended")
    visible = CUSTOMER_VISIBLE_EVENTS
    for name, client in [*staff.items(), *customers.items()]:
        seqs = _seqs(client, call_id)
        assert seqs and seqs[-1] >= ended, (name, seqs)
        may_see = [e["seq"] for e in logged if name in staff or e["type"] in visible]
        assert seqs == [s for s in may_see if seqs[0] <= s <= seqs[-1]], (name, seqs, may_see)
