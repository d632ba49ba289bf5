"""Fuzzing the WebSocket protocol from its JSON Schema: no frame gets `internal` or drops the socket.

Hypothesis draws frames for a live call's three parties (customer, agent, supervisor): client
messages generated from docs/protocol.schema.json (often aimed at the real call), arbitrary JSON,
arbitrary text, hostile classics (deep nesting, lone surrogates, 64-bit overflows, oversized
frames) and binary audio. After each frame a `ping` must still get its `pong`. The budget is
fixed and the generation derandomized, so CI runs the same cases every time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from earshot.config import Settings
from tests.harness import RunningServer

log = logging.getLogger(__name__)

EXAMPLES = 500
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "protocol.schema.json").read_text())
ROLES = ("customer", "agent", "supervisor")


def from_json_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid by `schema`, for the keywords the protocol's schema uses ($ref, const, enum,
    anyOf, oneOf, objects, strings, integers, booleans, null, and their bounds)."""
    if "$ref" in schema:
        return from_json_schema(SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[-1]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([from_json_schema(option) for option in schema.get("anyOf", schema.get("oneOf"))])
    kind = schema.get("type")
    if kind == "object":
        properties = {name: from_json_schema(value) for name, value in schema.get("properties", {}).items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: value for name, value in properties.items() if name in required},
            optional={name: value for name, value in properties.items() if name not in required},
        )
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 64))
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"the fuzzer does not know this schema: {schema}")


def client_messages() -> st.SearchStrategy[dict[str, Any]]:
    """Messages valid by the published schema (the server may still refuse them: wrong role, wrong moment)."""
    return from_json_schema(SCHEMA["$defs"]["ClientMessage"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
types = st.sampled_from(sorted(SCHEMA["$defs"]["ClientMessage"]["discriminator"]["mapping"]))
HUGE = 2**63
HOSTILE = [
    "[" * 20_000 + "]" * 20_000,
    '{"type": "chat", "text": ' + "{" * 5_000 + "}" * 5_000 + "}",
    '{"type": "chat", "text": "a \\ud800 b"}',
    '{"type": "chat", "text": "\\udfff"}',
    '{"type": "chat", "text": "nul \\u0000"}',
    json.dumps({"type": "resume", "last_seq": HUGE}),
    json.dumps({"type": "attach_customer", "customer_id": -HUGE - 1}),
    json.dumps({"type": "chat", "text": "x" * 70_000}),
    json.dumps({"type": "chat", "text": "x" * 300_000}),
    '{"type": "chat", "text": "hi", "text": 5}',
    '{"type": 1e999}',
    "",
]


def frames(call_id: str) -> st.SearchStrategy[str | bytes]:
    aimed = st.tuples(client_messages(), st.booleans()).map(
        lambda pair: {**pair[0], "call_id": call_id} if pair[1] and "call_id" in pair[0] else pair[0]
    )
    typed_junk = st.builds(lambda kind, extra: {**extra, "type": kind}, types, st.dictionaries(st.text(max_size=12), json_values, max_size=4))
    return st.one_of(
        aimed.map(json.dumps),
        typed_junk.map(json.dumps),
        json_values.map(json.dumps),
        st.text(max_size=200),
        st.sampled_from(HOSTILE),
        st.binary(max_size=4000),
    )


class Party:
    """One fuzzed socket; `answer` sends a frame then a ping, and returns what came back before the pong."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    def answer(self, frame: str | bytes) -> list[dict[str, Any]]:
        self.conn.send(frame)
        self.conn.send('{"type": "ping"}')
        replies: list[dict[str, Any]] = []
        while True:
            message = json.loads(self.conn.recv(timeout=10))
            if message["type"] == "pong":
                return replies
            replies.append(message)


def _until(conn: ClientConnection, type_: str) -> dict[str, Any]:
    while (message := json.loads(conn.recv(timeout=10)))["type"] != type_:
        pass
    return message


def answered_call(server: RunningServer, staff_tokens: dict[str, str]) -> tuple[str, dict[str, Party]]:
    """A call in progress, and its customer's, agent's and a watching supervisor's sockets."""
    ws = server.ws_url
    agent = connect(f"{ws}/ws/agent", additional_headers={"Authorization": f"Bearer {staff_tokens['agent1']}"})
    agent.send(json.dumps({"type": "set_availability", "available": True}))
    started = httpx.post(f"{server.base_url}/api/calls", json={"name": "Fuzz Caller"}).json()
    call_id = _until(agent, "call_offer")["call_id"]
    agent.send(json.dumps({"type": "accept_offer", "call_id": call_id}))
    customer = connect(f"{ws}/ws/call/{call_id}", subprotocols=["earshot.v1", f"token.{started['token']}"])  # type: ignore[list-item]
    _until(customer, "call_started")
    supervisor = connect(f"{ws}/ws/supervisor", additional_headers={"Authorization": f"Bearer {staff_tokens['supervisor']}"})
    supervisor.send(json.dumps({"type": "watch", "call_id": call_id}))
    _until(supervisor, "resumed")
    return call_id, {"customer": Party(customer), "agent": Party(agent), "supervisor": Party(supervisor)}


def fuzz(server: RunningServer, staff_tokens: dict[str, str]) -> Counter[str]:
    call_id, parties = answered_call(server, staff_tokens)
    tally: Counter[str] = Counter()

    @given(role=st.sampled_from(ROLES), frame=frames(call_id))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def one(role: str, frame: str | bytes) -> None:
        try:
            replies = parties[role].answer(frame)
        except ConnectionClosed as closed:
            raise AssertionError(f"{role} socket closed ({closed}) after {frame[:200]!r}") from None
        tally["frames"] += 1
        for reply in replies:
            if reply["type"] == "error":
                tally[reply["code"]] += 1
                assert reply["code"] != "internal", f"{role}: {reply} after {frame[:200]!r}"

    try:
        one()
    finally:
        for party in parties.values():
            party.conn.close()
    return tally


@pytest.fixture
def unthrottled(server_settings: Settings) -> Settings:
    """Budgets out of the way, so every frame reaches the parser and the handlers."""
    server_settings.ws_message_burst = 1_000_000
    server_settings.ws_messages_per_second = 1_000_000.0
    return server_settings


async def test_no_frame_gets_internal_or_drops_a_socket(unthrottled: Settings, shop: RunningServer) -> None:
    staff = {user: await shop.login(user) for user in ("agent1", "supervisor")}
    tally = await asyncio.to_thread(fuzz, shop, staff)
    log.warning("WebSocket fuzzing: %d frames, answers by error code: %s", tally["frames"], dict(tally))
    assert tally["frames"] >= EXAMPLES * 0.9  # (nearly) every drawn frame was answered

    supervisor = await shop.ws("/ws/supervisor", token=staff["supervisor"])
    await supervisor.expect("hello")
    await supervisor.send({"type": "ping"})
    await supervisor.expect("pong")
    async with shop.http() as http:
        assert (await http.get("/api/health")).json()["status"] == "ok"
