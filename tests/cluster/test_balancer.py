"""One Earshot instance behind a real nginx, as deploy/nginx/earshot-proxy.conf proxies it.

Logins, the agent console's socket, a whole customer call with chat both ways, the client
address Earshot sees, a body too big, and a crash of the instance, all through nginx.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from earshot.calls.ws import CLOSE_FORBIDDEN
from tests.cluster.harness import Cluster
from tests.harness import DEMO_PASSWORDS, RunningServer


def _from(address: str, cluster: Cluster) -> httpx.AsyncClient:
    """A client whose connections to nginx come from `address` (any 127.x.y.z is this machine)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=cluster.nginx.url, transport=transport, timeout=10)


async def _close_clients(front: RunningServer) -> None:
    for client in front.clients:
        client.check()
        await client.close()


async def test_login_through_nginx_gives_a_token_the_instance_accepts(single: Cluster) -> None:
    token = await single.front.login("agent1")
    async with single.front.http(token) as http:
        me = await http.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "agent1"


async def test_agent_console_socket_upgrades_through_nginx_with_the_browser_origin(single: Cluster) -> None:
    front = single.front
    token = await front.login("agent1")
    # A browser sends its page's origin, host and port; Earshot accepts the socket only when the
    # Host nginx passes on names the same (the proxy rules pass $http_host, port included).
    agent = await front.ws("/ws/agent", token, headers={"Origin": single.nginx.url})
    await agent.expect("hello")
    await agent.expect("agent_state")
    elsewhere = await front.ws("/ws/agent", token, headers={"Origin": "http://evil.example"})
    await elsewhere.expect_closed(CLOSE_FORBIDDEN)
    await _close_clients(front)


async def test_customer_call_through_nginx_is_answered_and_chats_both_ways(single: Cluster) -> None:
    front = single.front
    wait = 20.0  # separate processes on a loaded test machine: give each step time
    agent = await front.agent("agent3")
    call_id, _token, customer = await front.customer("Pat Through-Nginx")
    await agent.expect("call_offer", wait, call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started", wait)
    await customer.send({"type": "chat", "text": "my parcel never arrived"})
    assert (await agent.expect("chat", wait, speaker="customer"))["text"] == "my parcel never arrived"
    await agent.send({"type": "chat", "call_id": call_id, "text": "let me look that up"})
    heard = await customer.expect("chat", wait, speaker="agent")
    assert heard["text"] == "let me look that up", agent.seen
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended", wait)
    await _close_clients(front)


async def test_earshot_logs_and_locks_out_by_the_address_nginx_saw(single: Cluster) -> None:
    async with _from("127.0.0.2", single) as http:
        good = await http.post("/api/auth/login", json={"username": "agent2", "password": DEMO_PASSWORDS["agent2"]})
        assert good.status_code == 200
        assert "user 'agent2' logged in from 127.0.0.2" in single.instances[0].log()
        for _ in range(single.settings.login_max_failures):
            wrong = await http.post("/api/auth/login", json={"username": "agent2", "password": "not-it"})
            assert wrong.status_code == 401
        locked = await http.post("/api/auth/login", json={"username": "agent2", "password": DEMO_PASSWORDS["agent2"]})
        assert locked.status_code == 429
        # nginx replaces X-Forwarded-For rather than appending to it: a forged one changes nothing.
        forged = await http.post(
            "/api/auth/login",
            json={"username": "agent2", "password": DEMO_PASSWORDS["agent2"]},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert forged.status_code == 429
    assert "failed login for 'agent2' from 198.51.100.7" not in single.instances[0].log()
    # Another address is another counter: the lockout is by the client, not by nginx.
    async with _from("127.0.0.3", single) as http:
        other = await http.post("/api/auth/login", json={"username": "agent2", "password": DEMO_PASSWORDS["agent2"]})
        assert other.status_code == 200
    assert "127.0.0.2" in single.nginx.access_log()


async def test_a_body_over_the_limit_is_refused_by_nginx_and_the_instance_goes_on(single: Cluster) -> None:
    async with httpx.AsyncClient(base_url=single.nginx.url, timeout=10) as http:
        too_big = await http.post(
            "/api/calls", content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', headers={"Content-Type": "application/json"}
        )
        assert too_big.status_code == 413
        # Under the limit, the body reaches Earshot, which judges it (here: not signed in).
        turns = [{"speaker": "customer", "text": "y" * 3000}] * 150
        big = await http.post("/api/assist/suggestions", json={"utterance": "hello", "history": turns})
        assert big.status_code == 401 and "detail" in big.json()
        assert (await http.get("/api/health")).status_code == 200


async def test_a_killed_instance_gives_502_at_once_and_logins_work_after_its_restart(single: Cluster) -> None:
    single.instances[0].kill()
    try:
        async with httpx.AsyncClient(base_url=single.nginx.url, timeout=10) as http:
            started = time.monotonic()
            down = await http.post("/api/auth/login", json={"username": "agent1", "password": DEMO_PASSWORDS["agent1"]})
            elapsed = time.monotonic() - started
        assert down.status_code in (502, 503), down.text
        assert elapsed < 2.0, f"nginx took {elapsed:.2f} s to answer for a dead instance"
    finally:
        await asyncio.to_thread(single.restart, 0)  # the module's other tests share this instance
    async with httpx.AsyncClient(base_url=single.nginx.url, timeout=10) as http:
        up = await http.post("/api/auth/login", json={"username": "agent1", "password": DEMO_PASSWORDS["agent1"]})
    assert up.status_code == 200
