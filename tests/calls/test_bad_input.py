"""Bad input gets a clear error with a stable code; the connection, the call and the log survive."""

from __future__ import annotations

import json

import pytest

from tests.harness import RunningServer


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "malformed"),
        ("[1, 2, 3]", "malformed"),
        (json.dumps({"text": "no type"}), "unknown_type"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"type": "chat"}), "invalid"),
        (json.dumps({"type": "chat", "text": ""}), "invalid"),
        (json.dumps({"type": "chat", "text": "x" * 2001}), "invalid"),
        (json.dumps({"type": "chat", "text": "hi", "admin": True}), "invalid"),
        (json.dumps({"type": "set_availability", "available": True}), "forbidden"),
        (json.dumps({"type": "watch", "call_id": "abc"}), "forbidden"),
    ],
)
async def test_bad_customer_message_gets_error_and_call_goes_on(server: RunningServer, frame: str, code: str) -> None:
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer()
    await agent.expect("call_offer")
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")

    await customer.send(frame)
    error = await customer.expect("error")
    assert error["code"] == code and error["message"]
    await customer.send({"type": "chat", "text": "still here"})
    assert (await agent.expect("chat"))["text"] == "still here"


async def test_oversized_frame_is_refused_and_connection_survives(server: RunningServer) -> None:
    _call_id, _token, customer = await server.customer()
    await customer.send(json.dumps({"type": "chat", "text": "x" * (server.settings.max_message_bytes + 10)}))
    assert (await customer.expect("error"))["code"] == "too_large"
    await customer.send({"type": "ping"})
    await customer.expect("pong")


async def test_binary_frame_on_a_connection_without_audio_is_refused(server: RunningServer) -> None:
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.conn.send(b"\x00\x01" * 100)
    assert (await supervisor.expect("error"))["code"] == "invalid"
    await supervisor.send({"type": "ping"})
    await supervisor.expect("pong")


async def test_chat_before_an_agent_answers_is_a_conflict(server: RunningServer) -> None:
    _call_id, _token, customer = await server.customer()
    await customer.send({"type": "chat", "text": "hello?"})
    assert (await customer.expect("error"))["code"] == "conflict"


async def test_another_calls_token_cannot_join(server: RunningServer) -> None:
    call_a, _token_a = await server.start_call("Alice")
    _call_b, token_b = await server.start_call("Bob")
    intruder = await server.call_ws(call_a, token_b)
    error = await intruder.expect("error")
    assert error["code"] == "unauthorized"
    await intruder.expect_closed(4401)
    no_token = await server.ws(f"/ws/call/{call_a}")
    await no_token.expect_closed(4401)


async def test_agent_cannot_act_on_a_call_that_is_not_theirs(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    other = await server.agent("agent2")
    call_id, _token, _customer = await server.customer()
    offer = await agent.expect("call_offer")
    await other.send({"type": "accept_offer", "call_id": offer["call_id"]})
    assert (await other.expect("error"))["code"] == "conflict"
    await other.send({"type": "chat", "call_id": call_id, "text": "butting in"})
    assert (await other.expect("error"))["code"] == "not_found"
    await other.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved"})
    assert (await other.expect("error"))["code"] == "not_found"
    await other.send({"type": "wrap_up", "call_id": call_id, "disposition": "bogus"})
    assert (await other.expect("error"))["code"] == "invalid"


async def test_bad_input_leaves_the_log_intact(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer()
    await agent.expect("call_offer")
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    await agent.expect("customer_context")
    for frame in ("{", json.dumps({"type": "chat", "text": ""}), json.dumps({"type": "nope"})):
        await customer.send(frame)
        await customer.expect("error")
    async with server.http(await server.login("supervisor")) as http:
        events = (await http.get(f"/api/calls/{call_id}/events")).json()
    assert [e["type"] for e in events] == ["call_queued", "call_offered", "call_started", "customer_context"]


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 500}, {"name": "A", "email": "not-an-email"}, {"name": "A", "phone": "call me"}],
)
async def test_start_call_rejects_bad_details(server: RunningServer, body: dict[str, str]) -> None:
    async with server.http() as http:
        response = await http.post("/api/calls", json=body)
    assert response.status_code == 422


async def test_cross_site_page_cannot_use_an_agents_cookie(server: RunningServer) -> None:
    token = await server.login("agent1")
    client = await server.ws(
        "/ws/agent", headers={"Cookie": f"earshot_session={token}", "Origin": "https://evil.example"}
    )
    assert (await client.expect("error"))["code"] == "forbidden"
    await client.expect_closed(4403)
