"""Faults of the parts instances share, on three `earshot serve` processes behind nginx.

Redis restarted mid-call, PostgreSQL unreachable for a while, a party's second socket on
another instance, and an instance killed while its offers and graces are pending. One cluster
serves the whole module (each start costs seconds); every test leaves it whole, its calls ended.
The instances reach PostgreSQL through a TCP proxy in this process, which a test cuts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from earshot.calls.protocol import CUSTOMER_VISIBLE_EVENTS
from tests.cluster.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.cluster.harness import (
    Cluster,
    create_postgres_database,
    instance_env,
    prepare_database,
    start_cluster,
)
from tests.harness import DEMO_PASSWORDS, RunningServer, WsClient
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

    def __init__(self, cluster: Cluster, database: TcpProxy, direct_database_url: str) -> None:
        self.cluster = cluster
        self.database = database
        self.direct_database_url = direct_database_url  # for the test's own checks, never cut

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
    env = {**instance_env(via_proxy, redis.url), **SHORT_TIMERS}
    cluster = await asyncio.to_thread(start_cluster, via_proxy, redis, directory, 3, env)
    try:
        yield Faulty(cluster, proxy, database_url)
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


async def _fresh_heartbeats(database_url: str) -> int:
    """How many instances beat within the expiry, asked of PostgreSQL directly (not through the proxy)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        query = "SELECT count(*) FROM instances WHERE heartbeat_at > now() - make_interval(secs => $1)"
        return int(await conn.fetchval(query, EXPIRY_SECONDS))
    finally:
        await conn.close()


async def test_postgresql_unreachable_for_ten_seconds_gives_clear_errors_and_recovers_without_restart(
    faulty: Faulty,
) -> None:
    one, two, three, front = faulty.on(0), faulty.on(1), faulty.on(2), faulty.cluster.front
    agent = await three.agent("agent2")
    call_id, token, customer = await _answered(one, agent, "Pat Postgres")
    waiting = await two.agent("agent3")  # takes the call started after the outage
    # Its seat may be available from an earlier test of this module, announced so on joining: a
    # socket's messages are handled in order, so the pong says its switch was handled before the cut.
    await waiting.send({"type": "ping"})
    await waiting.expect("pong")
    supervisor_token = await front.login("supervisor")

    await faulty.database.cut()
    cut_at = asyncio.get_running_loop().time()
    try:
        async with httpx.AsyncClient(base_url=front.base_url, timeout=10) as http:
            credentials = {"username": "agent1", "password": DEMO_PASSWORDS["agent1"]}
            login = await http.post("/api/auth/login", json=credentials)
            assert login.status_code == 503 and "database is unreachable" in login.json()["detail"], login.text
            assert login.headers["retry-after"]
            new_call = await http.post("/api/calls", json={"name": "Pat Too-Early"})
            assert new_call.status_code == 503 and "detail" in new_call.json(), new_call.text
        for instance in faulty.cluster.instances:
            health = await asyncio.to_thread(httpx.get, f"{instance.url}/api/health", timeout=10)
            assert health.status_code == 503 and health.json()["database"] == "down", health.text
        # Open sockets stay open; what needs the database is refused with a clear error.
        await agent.send({"type": "chat", "call_id": call_id, "text": "lost in the outage", "client_id": "c1"})
        refused = await agent.expect("error", WAIT, code="unavailable")
        assert (refused["ref_type"], refused["ref_id"]) == ("chat", "c1")
        # A new socket is told why and closed with 1013: try again later.
        late = await front.ws("/ws/supervisor", token=supervisor_token)
        await late.expect("error", WAIT, code="unavailable")
        await late.expect_closed(1013)
        while asyncio.get_running_loop().time() - cut_at < 10.0:
            await asyncio.sleep(0.5)
        for instance in faulty.cluster.instances:  # no crash, no exit
            assert instance.process is not None and instance.process.poll() is None, instance.log()[-3000:]
    finally:
        await faulty.database.restore()

    for instance in faulty.cluster.instances:
        await _until_healthy(instance.url)
    await agent.send({"type": "chat", "call_id": call_id, "text": "back again"})
    await customer.expect("chat", WAIT, text="back again")
    assert (await front.login("agent1"))
    next_id, _next_token, next_customer = await front.customer("Pat After-Outage")
    await waiting.expect("call_offer", WAIT, call_id=next_id)
    await waiting.send({"type": "accept_offer", "call_id": next_id})
    await next_customer.expect("call_started", WAIT)

    # Heartbeats resume, and nobody was taken for gone: the parties stayed connected throughout.
    deadline = asyncio.get_running_loop().time() + WAIT
    while await _fresh_heartbeats(faulty.direct_database_url) < 3:
        assert asyncio.get_running_loop().time() < deadline, "the heartbeats did not resume"
        await asyncio.sleep(0.2)
    await asyncio.sleep(EXPIRY_SECONDS * 2)  # time enough for a wrong verdict to show
    logged = [event["type"] for event in await _logged(two, call_id)]
    assert "party_disconnected" not in logged, logged
    await customer.send({"type": "chat", "text": "still here"})
    await agent.expect("chat", WAIT, text="still here")
    await _end(agent, call_id)
    await _end(waiting, next_id)
    await _close(one, two, three, front)


async def _until_healthy(url: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while (await asyncio.to_thread(httpx.get, f"{url}/api/health", timeout=10)).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"{url} did not recover"
        await asyncio.sleep(0.2)


async def _closed_with(client: WsClient, code: int, reason: str) -> None:
    """The server closed this socket with `code` and `reason` (what came before it is kept in `seen`)."""
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await client.recv(WAIT)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (code, reason), closed


async def test_a_second_socket_on_another_instance_replaces_the_first_and_alone_gets_events(faulty: Faulty) -> None:
    one, two = faulty.on(0), faulty.on(1)
    old_agent = await one.agent("agent1")
    call_id, token, old_customer = await _answered(one, old_agent, "Pat Twice")

    new_agent = await two.ws("/ws/agent", token=await two.login("agent1"))
    await new_agent.expect("hello")
    await new_agent.expect("agent_state", WAIT, status="in_call", call_id=call_id)
    await new_agent.expect("resumed", WAIT, call_id=call_id)  # its call's history, on the new socket
    await _closed_with(old_agent, 4409, "the console was opened in another window")

    new_customer = await two.call_ws(call_id, token)
    await new_customer.expect("hello")
    await new_customer.expect("resumed", WAIT, call_id=call_id)
    await _closed_with(old_customer, 4409, "replaced by a newer connection")

    await new_agent.send({"type": "chat", "call_id": call_id, "text": "only the new sockets hear this"})
    await new_customer.expect("chat", WAIT, text="only the new sockets hear this")
    await new_agent.expect("chat", WAIT, text="only the new sockets hear this")
    for old in (old_agent, old_customer):
        assert not any(m.get("text") == "only the new sockets hear this" for m in old.seen)
    # A replaced socket is no party leaving: nobody was taken for disconnected.
    logged = [event["type"] for event in await _logged(two, call_id)]
    assert "party_disconnected" not in logged, logged
    await _end(new_agent, call_id)
    await _close(one, two)


async def test_offers_expire_and_graces_end_when_the_instance_that_started_them_is_killed(faulty: Faulty) -> None:
    """Customer on instance 1, agent on 2, supervisor watching on 3; then instance 1 dies (SIGKILL).

    The last test of the module: it leaves instance 1 dead.
    """
    one, two, three = faulty.on(0), faulty.on(1), faulty.on(2)
    agent = await two.agent("agent1")
    call_id, _token, _customer = await _answered(one, agent, "Pat Dropped")
    supervisor = await three.ws("/ws/supervisor", token=await three.login("supervisor"))
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed", WAIT, call_id=call_id)
    # A second call, queued on instance 1 (whose matching makes the offer), its customer's socket on 3.
    ringing = await three.agent("agent2")
    queued_id, queued_token = await one.start_call("Pat Unanswered")
    waiting_customer = await three.call_ws(queued_id, queued_token)
    await ringing.expect("call_offer", WAIT, call_id=queued_id)

    faulty.cluster.instances[0].kill()
    revoked = await ringing.expect("offer_revoked", OFFER_SECONDS + WAIT, call_id=queued_id)
    assert revoked["reason"] == "expired"
    await ringing.has_or_expect("agent_state", WAIT, status="unavailable")
    away = await agent.expect("party_disconnected", EXPIRY_SECONDS + WAIT, speaker="customer")
    assert away["grace_seconds"] == GRACE_SECONDS
    ended = await agent.expect("call_ended", GRACE_SECONDS + WAIT)
    assert (ended["reason"], ended["ended_by"]) == ("dropped", "system")
    await agent.has_or_expect("agent_state", WAIT, status="wrap_up", call_id=call_id)
    await supervisor.expect("call_ended", WAIT, call_id=call_id)
    live = await supervisor.expect("live_calls", WAIT)
    while any(c["call_id"] == call_id for c in live["calls"]):
        live = await supervisor.expect("live_calls", WAIT)
    assert [c["status"] for c in live["calls"] if c["call_id"] == queued_id] == ["queued"]
    await waiting_customer.send({"type": "end_call"})
    await waiting_customer.expect("call_ended", WAIT)
    await _close(two, three)
