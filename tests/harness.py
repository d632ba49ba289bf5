"""Test-side clients of a running Earshot server: HTTP, login, and typed WebSocket peers."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from websockets.asyncio.client import ClientConnection, connect

from earshot.config import Settings

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """The shared test data: EARSHOT_SHARED_DIR, else `shared/` beside this checkout, else beside the
    checkout it was cloned from (so `git clone . /tmp/fresh` still finds the recorded calls)."""
    if os.environ.get("EARSHOT_SHARED_DIR"):
        return Path(os.environ["EARSHOT_SHARED_DIR"])
    beside = REPO.parent / "shared"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(REPO), "remote", "get-url", "origin"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared"
    return beside


SHARED = _shared_dir()
CALLS_AUDIO = SHARED / "calls" / "audio"  # per-turn WAVs of the scripted calls, listed in manifest.tsv

DEMO_PASSWORDS = {
    "admin": "admin-demo-pass",
    "supervisor": "supervisor-demo-pass",
    "agent1": "agent1-demo-pass",
    "agent2": "agent2-demo-pass",
    "agent3": "agent3-demo-pass",
}


class UnexpectedError(AssertionError):
    """The server sent an `error` the test did not say it expected."""


class WsClient:
    """A test-side WebSocket peer that reads typed JSON messages.

    Every `error` the server sends must be expected: `expect("error", ...)` takes it, and
    `allow_errors(code, ...)` tolerates some for a while. Any other error fails the test, in
    `expect` as soon as it arrives, and at the end of the test (the `server` fixture calls `check`).
    """

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict[str, Any]] = []
        self.unexpected: list[dict[str, Any]] = []
        self._allowed: list[set[str] | None] = []  # stack; None allows every code

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.conn.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        self.seen.append(message)
        if message["type"] == "error" and not self._is_allowed(message):
            self.unexpected.append(message)
        return message

    @contextmanager
    def allow_errors(self, *codes: str) -> Iterator[None]:
        """Errors with these codes (any code if none given) may arrive, and need not be expected."""
        self._allowed.append(set(codes) if codes else None)
        try:
            yield
        finally:
            self._allowed.pop()

    def _is_allowed(self, message: dict[str, Any]) -> bool:
        return any(codes is None or message.get("code") in codes for codes in self._allowed)

    def _take(self, message: dict[str, Any]) -> None:
        if message in self.unexpected:
            self.unexpected.remove(message)

    def check(self) -> None:
        """Fail if the server sent an `error` that no `expect` or `allow_errors` accounted for."""
        if self.unexpected:
            raise UnexpectedError(f"the server sent errors the test did not expect: {self.unexpected}")

    async def drain(self, within: float = 0.3) -> None:
        """Read what arrives within `within` seconds (to catch late errors before the test ends)."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + within
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                await self.recv(remaining)
        except (TimeoutError, ConnectionClosed):
            return

    async def expect(self, type_: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next message of this type (and these field values), skipping others.

        An unexpected `error` arriving meanwhile fails at once, with what the server said.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {type_} {fields} within {timeout}s; got {self.seen[-8:]}")
            try:
                message = await self.recv(remaining)
            except TimeoutError:
                raise AssertionError(f"no {type_} {fields} within {timeout}s; got {self.seen[-8:]}") from None
            if message["type"] == type_ and all(message.get(k) == v for k, v in fields.items()):
                self._take(message)
                return message
            self.check()

    async def has_or_expect(self, type_: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """A message of this type (and these field values) received already, or the next one.

        For messages on independent channels (the agent's own state and the call's events),
        whose relative order is not guaranteed.
        """
        for message in self.seen:
            if message["type"] == type_ and all(message.get(k) == v for k, v in fields.items()):
                self._take(message)
                return message
        return await self.expect(type_, timeout, **fields)

    async def nothing_of(self, type_: str, within: float = 0.5, **fields: Any) -> None:
        """Assert no message of this type (and these field values) arrives within the time given."""
        try:
            message = await self.expect(type_, timeout=within, **fields)
        except UnexpectedError:
            raise
        except (AssertionError, TimeoutError):
            return
        raise AssertionError(f"unexpected {type_}: {message}")

    async def expect_floor(self, until: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """The floor (`floor` snapshots) once `until` holds for it: the latest one received, or a later one."""
        latest = next((m for m in reversed(self.seen) if m["type"] == "floor"), None)
        if latest is not None and until(latest):
            return latest
        deadline = time.monotonic() + timeout
        while True:
            floor = await self.expect("floor", timeout=max(0.01, deadline - time.monotonic()))
            if until(floor):
                return floor

    async def expect_closed(self, code: int, timeout: float = 5.0) -> None:
        """The server closes this connection with the given close code (an `error` saying why is expected)."""
        from websockets.exceptions import ConnectionClosed

        try:
            with self.allow_errors():
                while True:
                    await self.recv(timeout)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == code, closed
            return

    async def close(self) -> None:
        await self.conn.close()


@dataclass
class RunningServer:
    base_url: str
    settings: Settings
    database_url: str
    clients: list[WsClient] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")

    def http(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10)

    async def login(self, username: str, password: str | None = None) -> str:
        async with self.http() as client:
            response = await client.post(
                "/api/auth/login", json={"username": username, "password": password or DEMO_PASSWORDS[username]}
            )
        response.raise_for_status()
        return str(response.json()["token"])

    async def ws(
        self,
        path: str,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        subprotocols: list[str] | None = None,
    ) -> WsClient:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        conn = await connect(
            self.ws_url + path,
            additional_headers=all_headers,
            subprotocols=subprotocols,  # type: ignore[arg-type]
            max_size=2**22,
        )
        client = WsClient(conn)
        self.clients.append(client)
        return client

    async def start_call(self, name: str = "Pat Caller", **extra: str) -> tuple[str, str]:
        async with self.http() as client:
            response = await client.post("/api/calls", json={"name": name, **extra})
        response.raise_for_status()
        body = response.json()
        return body["call_id"], body["token"]

    async def customer(self, name: str = "Pat Caller") -> tuple[str, str, WsClient]:
        call_id, token = await self.start_call(name)
        client = await self.call_ws(call_id, token)
        await client.expect("hello")
        return call_id, token, client

    async def call_ws(self, call_id: str, token: str, last_seq: int | None = None) -> WsClient:
        """The customer's socket of a call; the token travels as a subprotocol, as the web app sends it."""
        query = f"?last_seq={last_seq}" if last_seq is not None else ""
        return await self.ws(f"/ws/call/{call_id}{query}", subprotocols=["earshot.v1", f"token.{token}"])

    async def agent(self, username: str = "agent1", available: bool = True) -> WsClient:
        client = await self.ws("/ws/agent", token=await self.login(username))
        await client.expect("hello")
        await client.expect("agent_state")
        if available:
            await client.send({"type": "set_availability", "available": True})
            await client.expect("agent_state", status="available")
        return client


async def active_call(server: RunningServer) -> tuple[str, WsClient, WsClient]:
    """A web call from Emily Carter that agent1 accepted: (call_id, customer, agent), once both see it start."""
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer("Emily Carter")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    await agent.expect("call_started")
    return call_id, customer, agent


async def watching_supervisor(server: RunningServer, call_id: str) -> WsClient:
    """The supervisor's socket, watching this call (its history replayed, then live)."""
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.expect("hello")
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed", call_id=call_id)
    return supervisor


@pytest.fixture
async def ready_server(server: RunningServer) -> RunningServer:
    """The server once its speech model is loaded, so microphones are really transcribed and timings
    in the test are not model start-up. A test module uses it by importing it from here."""
    token = await server.login("supervisor")
    async with server.http(token) as http:
        for _ in range(600):
            if (await http.get("/api/transcription/status")).json().get("ready"):
                return server
            await asyncio.sleep(0.1)
    raise AssertionError("transcription did not become ready")


# Ports for test servers come from a block below the kernel's ephemeral range (32768 and up), one
# block per pytest-xdist worker: a port handed out here cannot be picked by another worker while
# its server is still starting, or while a redis-server a test killed is down to be started again.
# The start within the block is random, so two test runs at once on one machine rarely meet, and
# every port is checked free before it is handed out.
_PORT_BLOCK_BASE = 10_000
_PORT_BLOCK_SIZE = 2_000
_PORT_BLOCKS = 11  # 10000..31999


def _port_candidates() -> Iterator[int]:
    """This process's block of ports, endlessly, from a random start."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... under xdist
    index = int(worker.removeprefix("gw")) % _PORT_BLOCKS if worker.startswith("gw") else 0
    block = list(range(_PORT_BLOCK_BASE + index * _PORT_BLOCK_SIZE, _PORT_BLOCK_BASE + (index + 1) * _PORT_BLOCK_SIZE))
    start = random.randrange(_PORT_BLOCK_SIZE)
    return itertools.cycle(block[start:] + block[:start])


_port_candidates_here = _port_candidates()


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free TCP port on 127.0.0.1 that no other worker of this test run hands out."""
    for _ in range(_PORT_BLOCK_SIZE):
        port = next(_port_candidates_here)
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port among the {_PORT_BLOCK_SIZE} this test process may use")


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run a test double of a remote HTTP API (a real server on a free port); yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def invalid_api_key() -> JSONResponse:
    """What OpenAI-compatible servers answer to a wrong or missing key."""
    error = {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}
    return JSONResponse({"error": error}, status_code=401)
