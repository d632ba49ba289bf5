"""Every API route and WebSocket refuses callers without a login or with too low a role."""

from __future__ import annotations

import pytest

from tests.harness import RunningServer

# Who may call each route: public, agent, supervisor or admin (each role includes those before it).
ROUTE_ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/api/health"): "public",
    ("POST", "/api/auth/login"): "public",
    ("POST", "/api/auth/logout"): "public",
    ("GET", "/api/auth/me"): "agent",
    ("POST", "/api/auth/password"): "agent",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("PATCH", "/api/users/{user_id}"): "admin",
    ("GET", "/api/agents/available"): "agent",
    ("POST", "/api/calls"): "public",
    ("GET", "/api/calls"): "supervisor",
    ("GET", "/api/calls/{call_id}"): "agent",
    ("GET", "/api/calls/{call_id}/events"): "agent",
    ("GET", "/api/calls/{call_id}/export"): "agent",
    ("GET", "/api/calls/{call_id}/recording"): "agent",
    ("DELETE", "/api/calls/{call_id}/recording"): "admin",
    ("GET", "/api/recordings/policy"): "public",
    ("GET", "/api/history"): "agent",
    ("GET", "/api/history.csv"): "agent",
    ("GET", "/api/transcription/status"): "supervisor",
    ("POST", "/api/assist/suggestions"): "agent",
    ("GET", "/api/assist/knowledge"): "agent",
    ("GET", "/api/customers/search"): "agent",
    ("GET", "/api/customers/{customer_id}"): "agent",
    ("POST", "/api/customers/{customer_id}/tickets"): "agent",
    ("PATCH", "/api/customers/{customer_id}/tickets/{ticket_id}"): "agent",
    ("GET", "/api/metrics/definitions"): "supervisor",
    ("GET", "/api/metrics/summary"): "supervisor",
    ("GET", "/api/metrics/timeseries"): "supervisor",
    ("GET", "/api/metrics/agents"): "supervisor",
    ("GET", "/api/metrics/reasons"): "supervisor",
    ("GET", "/api/metrics/floor"): "supervisor",
    ("GET", "/api/metrics/export/floor.csv"): "supervisor",
    ("GET", "/api/metrics/export/{table}.csv"): "supervisor",
    ("GET", "/api/metrics/report.xlsx"): "supervisor",
    ("GET", "/api/metrics/alerts"): "supervisor",
    ("POST", "/api/metrics/alerts/{alert_id}/acknowledge"): "supervisor",
}
ROLE_ORDER = ["agent", "supervisor", "admin"]
USER_OF_ROLE = {"agent": "agent1", "supervisor": "supervisor", "admin": "admin"}


async def test_access_table_covers_every_route(server: RunningServer) -> None:
    async with server.http() as http:
        spec = (await http.get("/openapi.json")).json()
    routes = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert routes == set(ROUTE_ACCESS), "add new routes to ROUTE_ACCESS with the role they need"


def _concrete(path: str) -> str:
    return (
        path.replace("{user_id}", "1")
        .replace("{call_id}", "0" * 32)
        .replace("{customer_id}", "1")
        .replace("{ticket_id}", "1")
        .replace("{table}", "summary")
        .replace("{alert_id}", "1")
    )


@pytest.mark.parametrize(("method", "path"), [key for key, role in ROUTE_ACCESS.items() if role != "public"])
async def test_route_refuses_anonymous_callers(server: RunningServer, method: str, path: str) -> None:
    async with server.http() as http:
        response = await http.request(method, _concrete(path), json={})
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    ("method", "path", "username"),
    [
        (method, path, USER_OF_ROLE[lower])
        for (method, path), needed in ROUTE_ACCESS.items()
        if needed in ("supervisor", "admin")
        for lower in ROLE_ORDER[: ROLE_ORDER.index(needed)]
    ],
)
async def test_route_refuses_too_low_a_role(server: RunningServer, method: str, path: str, username: str) -> None:
    async with server.http(await server.login(username)) as http:
        response = await http.request(method, _concrete(path), json={})
    assert response.status_code == 403, response.text


async def test_agent_cannot_read_a_call_they_did_not_take(server: RunningServer) -> None:
    call_id, _token = await server.start_call()
    async with server.http(await server.login("agent1")) as http:
        assert (await http.get(f"/api/calls/{call_id}")).status_code == 404
    async with server.http(await server.login("supervisor")) as http:
        assert (await http.get(f"/api/calls/{call_id}")).status_code == 200


async def test_invalid_or_forged_token_is_refused(server: RunningServer) -> None:
    async with server.http("not-a-token") as http:
        assert (await http.get("/api/auth/me")).status_code == 401
    forged = (await server.login("agent1"))[:-4] + "AAAA"
    async with server.http(forged) as http:
        assert (await http.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize(
    ("path", "username", "close_code"),
    [
        ("/ws/agent", None, 4401),
        ("/ws/supervisor", None, 4401),
        ("/ws/supervisor", "agent1", 4403),
    ],
)
async def test_websocket_refuses_wrong_role_or_no_login(
    server: RunningServer, path: str, username: str | None, close_code: int
) -> None:
    token = await server.login(username) if username else None
    client = await server.ws(path, token=token)
    error = await client.expect("error")
    assert error["code"] == ("unauthorized" if close_code == 4401 else "forbidden")
    await client.expect_closed(close_code)


@pytest.mark.parametrize("username", ["agent1", "supervisor", "admin"])
async def test_staff_websockets_accept_their_roles(server: RunningServer, username: str) -> None:
    client = await server.ws("/ws/agent", token=await server.login(username))
    hello = await client.expect("hello")
    assert hello["user"]["username"] == username
    if username != "agent1":
        supervisor = await server.ws("/ws/supervisor", token=await server.login(username))
        await supervisor.expect("live_calls")


async def test_disabled_agent_is_refused_on_websocket(server: RunningServer) -> None:
    admin_token = await server.login("admin")
    agent_token = await server.login("agent2")
    async with server.http(admin_token) as http:
        users = (await http.get("/api/users")).json()
        agent_id = next(u["id"] for u in users if u["username"] == "agent2")
        assert (await http.patch(f"/api/users/{agent_id}", json={"is_active": False})).status_code == 200
    client = await server.ws("/ws/agent", token=agent_token)
    await client.expect_closed(4401)


async def test_health_reports_version_and_database(server: RunningServer) -> None:
    async with server.http() as http:
        body = (await http.get("/api/health")).json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]
