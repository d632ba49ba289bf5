"""The customer's call token: sent outside the URL, never in a log line, dead once the call is over."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.harness import RunningServer, WsClient

LOGGED_OUT = 4401


async def _answered(server: RunningServer) -> tuple[str, str, WsClient, WsClient]:
    agent = await server.agent("agent1")
    call_id, token, customer = await server.customer("Pat Caller")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, token, customer, agent


async def _first_word(server: RunningServer, path: str, token: str | None = None) -> tuple[dict[str, Any], int | None]:
    """What a fresh customer socket hears first, and the close code when the server then hangs up."""
    subprotocols = [Subprotocol("earshot.v1"), Subprotocol(f"token.{token}")] if token else None
    async with connect(server.ws_url + path, subprotocols=subprotocols) as conn:
        first: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv(), 5))
        if first["type"] == "hello":
            return first, None
        try:
            while True:
                await asyncio.wait_for(conn.recv(), 5)
        except ConnectionClosed as closed:
            return first, closed.rcvd.code if closed.rcvd else None


async def _rejoins(server: RunningServer, call_id: str, token: str) -> bool:
    """Whether a fresh customer socket with this token gets in (hello) or is refused (4401)."""
    first, code = await _first_word(server, f"/ws/call/{call_id}", token)
    if first["type"] == "hello":
        return True
    assert (first["type"], first["code"], code) == ("error", "unauthorized", LOGGED_OUT), (first, code)
    return False


async def test_call_token_stops_working_once_the_call_is_wrapped_up(server: RunningServer) -> None:
    call_id, token, customer, agent = await _answered(server)
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended")
    await customer.close()
    # Within the grace after the end, the customer may come back to see how the call ended.
    assert await _rejoins(server, call_id, token)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    await agent.expect("agent_state", status="available")
    assert not await _rejoins(server, call_id, token)


async def test_an_open_customer_socket_cannot_replay_the_call_after_wrap_up(server: RunningServer) -> None:
    call_id, _token, customer, agent = await _answered(server)
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended")
    await customer.send({"type": "resume", "last_seq": 0})  # still allowed: the call just ended
    await customer.expect("resumed", call_id=call_id)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    await agent.expect("agent_state", status="available")
    await customer.send({"type": "resume", "last_seq": 0})
    error = await customer.expect("error")
    assert (error["code"], error["ref_type"]) == ("unauthorized", "resume")
    await customer.nothing_of("call_started")


async def test_call_token_stops_working_when_the_grace_after_the_end_is_over(server: RunningServer) -> None:
    call_id, token, customer, agent = await _answered(server)
    await customer.send({"type": "end_call"})
    await customer.expect("call_ended")
    await customer.close()
    assert await _rejoins(server, call_id, token)
    deadline = time.monotonic() + server.settings.reconnect_grace_seconds + 10
    while await _rejoins(server, call_id, token):
        assert time.monotonic() < deadline, "the call token still opens the ended call after its grace"


async def test_customer_reconnecting_during_the_call_still_gets_in(server: RunningServer) -> None:
    call_id, token, customer, agent = await _answered(server)
    await customer.close()
    await agent.expect("party_disconnected", speaker="customer")
    back = await server.call_ws(call_id, token)
    await back.expect("hello")
    await agent.expect("party_reconnected", speaker="customer")


async def test_call_token_in_the_url_is_refused(server: RunningServer) -> None:
    call_id, token = await server.start_call("Pat Caller")
    error, code = await _first_word(server, f"/ws/call/{call_id}?token={token}")
    assert (error["type"], error["code"], code) == ("error", "unauthorized", LOGGED_OUT)
    assert "subprotocol" in error["message"]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def server_log_lines() -> Iterator[list[str]]:
    """Every line uvicorn logs (access log and WebSocket handshakes), at INFO whatever the server's level."""
    handler = _Lines()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


async def test_call_token_never_reaches_the_server_log(server: RunningServer, server_log_lines: list[str]) -> None:
    call_id, token, customer = await server.customer("Pat Caller")
    await customer.close()
    # An old or hand-written client putting the token in the URL is refused, and not logged either.
    await _first_word(server, f"/ws/call/{call_id}?token={token}&last_seq=0")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        await http.get(f"/api/health?token={token}")
    with pytest.raises(InvalidStatus):  # no such route: refused in the handshake itself
        await _first_word(server, f"/ws/call/nope/extra?token={token}")

    deadline = time.monotonic() + 5
    while not any("/api/health" in line for line in server_log_lines):
        assert time.monotonic() < deadline, f"the access log stayed empty: {server_log_lines}"
        await asyncio.sleep(0.05)
    handshakes = [line for line in server_log_lines if f"/ws/call/{call_id}" in line]
    assert len(handshakes) >= 2, server_log_lines
    assert not [line for line in server_log_lines if token in line]
