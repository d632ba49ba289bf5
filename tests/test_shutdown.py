"""SIGTERM on `earshot serve`: live calls end (the customer is told) and sockets close with 1001."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.harness import DEMO_PASSWORDS
from tests.test_cli import _start_server


async def _next(conn: ClientConnection, type_: str, timeout: float = 10.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message: dict[str, Any] = json.loads(await conn.recv())
            if message["type"] == type_:
                return message


async def _until_closed(conn: ClientConnection, timeout: float = 15.0) -> tuple[list[dict[str, Any]], int | None]:
    """Everything the server still sends, and the close code it ends with."""
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen.append(json.loads(await conn.recv()))
    except ConnectionClosed as closed:
        return seen, closed.rcvd.code if closed.rcvd else None


async def test_sigterm_ends_calls_and_closes_sockets_with_1001(tmp_path: Path) -> None:
    process, base_url = await asyncio.to_thread(_start_server, tmp_path, "--demo", EARSHOT_DEMO_HISTORY_DAYS="0")
    ws_url = base_url.replace("http://", "ws://")
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            tokens = {}
            for user in ("agent1", "supervisor"):
                login = await http.post("/api/auth/login", json={"username": user, "password": DEMO_PASSWORDS[user]})
                tokens[user] = login.json()["token"]
            started = (await http.post("/api/calls", json={"name": "Pat Caller"})).json()
        call_id = started["call_id"]
        auth = {user: {"Authorization": f"Bearer {token}"} for user, token in tokens.items()}
        agent = await connect(ws_url + "/ws/agent", additional_headers=auth["agent1"])
        supervisor = await connect(ws_url + "/ws/supervisor", additional_headers=auth["supervisor"])
        customer = await connect(
            f"{ws_url}/ws/call/{call_id}", subprotocols=["earshot.v1", f"token.{started['token']}"]  # type: ignore[list-item]
        )
        await agent.send(json.dumps({"type": "set_availability", "available": True}))
        await _next(agent, "call_offer")
        await agent.send(json.dumps({"type": "accept_offer", "call_id": call_id}))
        await _next(customer, "call_started")
        await supervisor.send(json.dumps({"type": "watch", "call_id": call_id}))
        await _next(supervisor, "resumed")

        process.send_signal(signal.SIGTERM)
        (heard, customer_code), (_, agent_code), (_, supervisor_code) = await asyncio.gather(
            _until_closed(customer), _until_closed(agent), _until_closed(supervisor)
        )
        ended = [m for m in heard if m["type"] == "call_ended"]
        assert ended and ended[0]["reason"] == "shutdown", heard
        assert (customer_code, agent_code, supervisor_code) == (1001, 1001, 1001)
        # uvicorn re-raises the signal once it has shut down cleanly: the exit status is SIGTERM's.
        assert await asyncio.to_thread(process.wait, 20) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
