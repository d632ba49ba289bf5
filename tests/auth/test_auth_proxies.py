"""Forwarded headers count only from trusted proxies: the login lockout and the Secure cookie."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from earshot.auth.models import User
from earshot.auth.security import SESSION_COOKIE
from earshot.config import Settings, get_settings
from earshot.serve import EarshotServer
from tests.auth.conftest import MAX_FAILURES
from tests.harness import RunningServer, free_port

PROXY = "10.0.0.5"


def _client(app: FastAPI, peer: str, scheme: str = "http") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")


@pytest.fixture
def behind_proxy(app: FastAPI, settings: Settings) -> FastAPI:
    """The same app, configured to trust one reverse proxy."""
    app.state.settings = settings.model_copy(update={"trusted_proxies": [PROXY, "192.168.0.0/16"]})
    return app


async def _fail_logins(http: httpx.AsyncClient, addresses: list[str]) -> list[int]:
    codes = []
    for address in addresses:
        response = await http.post(
            "/api/auth/login",
            json={"username": "alex", "password": "wrong"},
            headers={"X-Forwarded-For": address},
        )
        codes.append(response.status_code)
    return codes


async def test_rotating_x_forwarded_for_does_not_escape_the_lockout(app: FastAPI, staff: dict[str, User]) -> None:
    async with _client(app, "127.0.0.1") as http:
        rotated = [f"203.0.113.{i}" for i in range(MAX_FAILURES + 2)]
        codes = await _fail_logins(http, rotated)
    assert codes[:MAX_FAILURES] == [401] * MAX_FAILURES
    assert codes[MAX_FAILURES:] == [429, 429]


async def test_a_trusted_proxy_reports_each_clients_own_address(
    behind_proxy: FastAPI, staff: dict[str, User]
) -> None:
    async with _client(behind_proxy, PROXY) as http:
        assert await _fail_logins(http, ["198.51.100.1"] * MAX_FAILURES) == [401] * MAX_FAILURES
        assert await _fail_logins(http, ["198.51.100.1"]) == [429]
        # Another customer behind the same proxy is not locked out by the first one's failures.
        assert await _fail_logins(http, ["198.51.100.2"]) == [401]


async def test_addresses_a_client_prepends_behind_a_trusted_proxy_are_ignored(
    behind_proxy: FastAPI, staff: dict[str, User]
) -> None:
    # The proxy appends the address it saw; whatever the client wrote before it is the client's word.
    async with _client(behind_proxy, PROXY) as http:
        forged = [f"203.0.113.{i}, 198.51.100.7, 192.168.1.1" for i in range(MAX_FAILURES + 1)]
        codes = await _fail_logins(http, forged)
    assert codes[-1] == 429


async def _login_cookie(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    response = await http.post(
        "/api/auth/login", json={"username": "alex", "password": "alex-password"}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    return cookie


async def test_cookie_is_secure_when_the_request_came_over_https(app: FastAPI, staff: dict[str, User]) -> None:
    async with _client(app, "127.0.0.1", scheme="https") as http:
        assert "Secure" in await _login_cookie(http)
    async with _client(app, "127.0.0.1") as http:
        assert "Secure" not in await _login_cookie(http)


async def test_cookie_is_secure_when_a_trusted_proxy_says_https(behind_proxy: FastAPI, staff: dict[str, User]) -> None:
    async with _client(behind_proxy, PROXY) as http:
        assert "Secure" in await _login_cookie(http, {"X-Forwarded-Proto": "https"})
        assert "Secure" not in await _login_cookie(http, {"X-Forwarded-Proto": "http"})
    # Anyone else saying so is not believed (the cookie would then never reach them over http).
    async with _client(behind_proxy, "203.0.113.9") as http:
        assert "Secure" not in await _login_cookie(http, {"X-Forwarded-Proto": "https"})


async def test_cookie_secure_setting_forces_either_way(app: FastAPI, settings: Settings, staff: dict[str, User]) -> None:
    app.state.settings = settings.model_copy(update={"cookie_secure": True})
    async with _client(app, "127.0.0.1") as http:
        assert "Secure" in await _login_cookie(http)
    app.state.settings = settings.model_copy(update={"cookie_secure": False})
    async with _client(app, "127.0.0.1", scheme="https") as http:
        assert "Secure" not in await _login_cookie(http)


@pytest.fixture
def earshot_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """`earshot serve` on a free port: the server the command builds, with its options, run in a thread."""
    from earshot import cli

    port = free_port()
    for name, value in {"DATA_DIR": str(tmp_path), "LOGIN_MAX_FAILURES": "2", "LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(f"EARSHOT_{name}", value)
    get_settings.cache_clear()
    made: list[EarshotServer] = []
    monkeypatch.setattr(EarshotServer, "run", lambda server, sockets=None: made.append(server))
    cli.serve(host="127.0.0.1", port=port, demo=False)
    server = made[0]
    thread = threading.Thread(target=uvicorn.Server.run, args=(server,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "earshot serve did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        get_settings.cache_clear()


async def test_earshot_serve_does_not_believe_forwarded_for_from_this_machine(earshot_serve: str) -> None:
    """uvicorn by default trusts X-Forwarded-For from 127.0.0.1: anyone on the machine could rotate it."""
    async with httpx.AsyncClient(base_url=earshot_serve) as http:
        codes = await _fail_logins(http, [f"203.0.113.{i}" for i in range(4)])
    assert codes == [401, 401, 429, 429]


async def _start_calls(base_url: str, forwarded_for: list[str]) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return [
            (await http.post("/api/calls", json={"name": "Pat"}, headers={"X-Forwarded-For": address})).status_code
            for address in forwarded_for
        ]


@pytest.fixture
def tight_call_budget(server_settings: Settings) -> Settings:
    """Two calls per address, then a long wait (applied before the `server` fixture starts)."""
    server_settings.call_start_burst_per_address = 2
    server_settings.call_starts_per_minute_per_address = 0.01
    return server_settings


@pytest.fixture
def proxy_on_this_machine(tight_call_budget: Settings) -> Settings:
    tight_call_budget.trusted_proxies = ["127.0.0.1"]
    return tight_call_budget


async def test_call_start_budget_follows_forwarded_addresses_from_a_trusted_proxy(
    proxy_on_this_machine: Settings, server: RunningServer
) -> None:
    assert await _start_calls(server.base_url, ["198.51.100.1"] * 3) == [201, 201, 429]
    assert await _start_calls(server.base_url, ["198.51.100.2"]) == [201]  # a neighbour behind the proxy


async def test_call_start_budget_ignores_forwarded_addresses_from_anyone_else(
    tight_call_budget: Settings, server: RunningServer
) -> None:
    assert await _start_calls(server.base_url, [f"203.0.113.{i}" for i in range(3)]) == [201, 201, 429]
