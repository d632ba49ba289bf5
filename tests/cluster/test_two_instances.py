"""Two Earshot instances behind nginx, sharing one PostgreSQL database, one Redis and one key.

What holds today without call state shared between instances: nginx spreads requests and
sockets over both, a login made through one is good on the other, and when one crashes nginx
sends the requests it could not deliver to the other.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.cluster.harness import Cluster
from tests.harness import DEMO_PASSWORDS


def _logins_seen(cluster: Cluster, username: str) -> list[int]:
    """How many logins of `username` each instance logged."""
    return [instance.log().count(f"user {username!r} logged in from") for instance in cluster.instances]


async def test_logins_are_spread_over_both_and_a_token_from_one_is_good_on_the_other(pair: Cluster) -> None:
    tokens = [await pair.front.login("supervisor") for _ in range(6)]
    assert all(count > 0 for count in _logins_seen(pair, "supervisor")), _logins_seen(pair, "supervisor")
    for token in tokens:
        for index in range(len(pair.instances)):
            async with pair.direct(index).http(token) as http:
                assert (await http.get("/api/auth/me")).status_code == 200


async def test_agent_sockets_through_nginx_open_on_either_instance(pair: Cluster) -> None:
    # least_conn: with one socket open on an instance, the next socket goes to the other.
    agents = [await pair.front.agent(username, available=False) for username in ("agent1", "agent2")]
    accepted = [instance.log().count('"WebSocket /ws/agent" [accepted]') for instance in pair.instances]
    assert accepted == [1, 1], accepted
    for agent in agents:
        agent.check()
        await agent.close()


async def test_a_crash_of_one_instance_loses_no_request_nginx_can_pass_on(pair: Cluster) -> None:
    pair.instances[0].kill()
    try:
        async with httpx.AsyncClient(base_url=pair.nginx.url, timeout=10) as http:
            for _ in range(10):
                assert (await http.get("/api/health")).status_code == 200
                # A POST whose connection was refused never reached an instance: nginx passes it on too.
                login = await http.post(
                    "/api/auth/login", json={"username": "agent3", "password": DEMO_PASSWORDS["agent3"]}
                )
                assert login.status_code == 200
        assert "connect() failed (111: Connection refused)" in pair.nginx.error_log()
    finally:
        await asyncio.to_thread(pair.restart, 0)  # the module's other tests share this instance
    assert (await asyncio.to_thread(httpx.get, f"{pair.instances[0].url}/api/health")).status_code == 200
