"""Open staff WebSockets follow the account: disabled, demoted, logged out or re-passworded, they close."""

from __future__ import annotations

from tests.harness import RunningServer

LOGGED_OUT = 4401


async def _patch_user(server: RunningServer, username: str, change: dict[str, object]) -> None:
    admin = await server.login("admin")
    async with server.http(admin) as http:
        users = {user["username"]: user["id"] for user in (await http.get("/api/users")).json()}
        response = await http.patch(f"/api/users/{users[username]}", json=change)
    assert response.status_code == 200, response.text


async def test_a_disabled_agents_open_socket_closes_at_once_and_is_offered_nothing(server: RunningServer) -> None:
    disabled = await server.agent("agent1")
    await _patch_user(server, "agent1", {"is_active": False})
    await disabled.expect_closed(LOGGED_OUT)

    colleague = await server.agent("agent2")
    call_id, _token, _customer = await server.customer("Pat Caller")
    offer = await colleague.expect("call_offer", call_id=call_id)
    assert offer["customer_name"] == "Pat Caller"
    assert not any(message["type"] == "call_offer" for message in disabled.seen)


async def test_a_demoted_supervisor_stops_watching_at_once(server: RunningServer) -> None:
    token = await server.login("supervisor")
    watcher = await server.ws("/ws/supervisor", token=token)
    await watcher.expect("hello")
    await _patch_user(server, "supervisor", {"role": "agent"})
    await watcher.expect_closed(LOGGED_OUT)
    again = await server.ws("/ws/supervisor", token=token)
    await again.expect_closed(4403)


async def test_logout_closes_the_sockets_of_that_login_and_its_token_opens_no_new_one(
    server: RunningServer,
) -> None:
    token, other = await server.login("agent1"), await server.login("agent1")
    console = await server.ws("/ws/agent", token=token)
    await console.expect("hello")
    async with server.http(token) as http:
        assert (await http.post("/api/auth/logout")).status_code == 204
        assert (await http.get("/api/auth/me")).status_code == 401
    await console.expect_closed(LOGGED_OUT)
    refused = await server.ws("/ws/agent", token=token)
    await refused.expect_closed(LOGGED_OUT)
    still_in = await server.ws("/ws/agent", token=other)  # another browser of the same agent
    await still_in.expect("hello")


async def test_password_change_closes_every_socket_and_refuses_the_old_tokens(server: RunningServer) -> None:
    stolen, mine = await server.login("supervisor"), await server.login("supervisor")
    eavesdropper = await server.ws("/ws/supervisor", token=stolen)
    await eavesdropper.expect("hello")
    async with server.http(mine) as http:
        body = {"current_password": "supervisor-demo-pass", "new_password": "a-brand-new-password"}
        response = await http.post("/api/auth/password", json=body)
    assert response.status_code == 200, response.text
    await eavesdropper.expect_closed(LOGGED_OUT)
    for old in (stolen, mine):
        refused = await server.ws("/ws/supervisor", token=old)
        await refused.expect_closed(LOGGED_OUT)
    fresh = await server.ws("/ws/supervisor", token=response.json()["token"])
    await fresh.expect("hello")
