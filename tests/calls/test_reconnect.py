"""Dropped connections: resume within the grace period with nothing missed, or the call ends."""

from __future__ import annotations

import asyncio

from tests.harness import RunningServer, WsClient


async def _active_call(server: RunningServer) -> tuple[str, str, WsClient, WsClient]:
    agent = await server.agent("agent1")
    call_id, token, customer = await server.customer()
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, token, customer, agent


async def test_customer_reconnects_within_grace_and_gets_missed_messages(server: RunningServer) -> None:
    call_id, token, customer, agent = await _active_call(server)
    await customer.send({"type": "chat", "text": "first"})
    seen = await customer.expect("chat", text="first")
    await customer.close()
    await agent.expect("party_disconnected", speaker="customer")
    await agent.send({"type": "chat", "call_id": call_id, "text": "are you still there?"})
    await agent.expect("chat", text="are you still there?")

    back = await server.call_ws(call_id, token, last_seq=seen["seq"])
    await back.expect("hello")
    missed = await back.expect("chat")
    assert missed["text"] == "are you still there?"
    await back.expect("resumed", call_id=call_id)
    await agent.expect("party_reconnected", speaker="customer")
    await back.send({"type": "chat", "text": "yes, back again"})
    assert (await agent.expect("chat", speaker="customer"))["text"] == "yes, back again"


async def test_resume_message_replays_only_what_was_missed(server: RunningServer) -> None:
    call_id, _token, customer, agent = await _active_call(server)
    for text in ("one", "two", "three"):
        await agent.send({"type": "chat", "call_id": call_id, "text": text})
    last = await customer.expect("chat", text="three")
    await customer.send({"type": "resume", "last_seq": last["seq"] - 2})
    replayed = [await customer.expect("chat"), await customer.expect("chat")]
    assert [m["text"] for m in replayed] == ["two", "three"]
    resumed = await customer.expect("resumed")
    assert (resumed["replayed"], resumed["last_seq"]) == (2, last["seq"])


async def test_customer_drop_after_grace_ends_call_as_dropped(server: RunningServer) -> None:
    call_id, _token, customer, agent = await _active_call(server)
    await customer.close()
    ended = await agent.expect("call_ended", timeout=server.settings.reconnect_grace_seconds + 3)
    assert (ended["reason"], ended["ended_by"]) == ("dropped", "system")
    await agent.expect("agent_state", status="wrap_up", call_id=call_id)


async def test_agent_reconnects_within_grace_and_keeps_the_call(server: RunningServer) -> None:
    call_id, _token, customer, agent = await _active_call(server)
    await agent.close()
    await customer.expect("party_disconnected", speaker="agent")
    await customer.send({"type": "chat", "text": "hello? anyone?"})
    await customer.expect("chat", text="hello? anyone?")

    back = await server.ws("/ws/agent", token=await server.login("agent1"))
    await back.expect("hello")
    state = await back.expect("agent_state")
    assert (state["status"], state["call_id"]) == ("in_call", call_id)
    assert (await back.expect("chat"))["text"] == "hello? anyone?"
    await customer.expect("party_reconnected", speaker="agent")
    await back.send({"type": "chat", "call_id": call_id, "text": "sorry, I'm back"})
    assert (await customer.expect("chat", speaker="agent"))["text"] == "sorry, I'm back"


async def test_agent_drop_after_grace_ends_call_and_keeps_wrap_up(server: RunningServer) -> None:
    call_id, _token, customer, agent = await _active_call(server)
    await agent.close()
    ended = await customer.expect("call_ended", timeout=server.settings.reconnect_grace_seconds + 3)
    assert ended["reason"] == "dropped"
    back = await server.ws("/ws/agent", token=await server.login("agent1"))
    await back.expect("hello")
    state = await back.expect("agent_state")
    assert (state["status"], state["call_id"]) == ("wrap_up", call_id)


async def test_queued_customer_who_never_returns_is_dropped(server: RunningServer) -> None:
    call_id, _token, customer = await server.customer()
    await customer.close()
    supervisor_token = await server.login("supervisor")
    await server.ws("/ws/supervisor", token=supervisor_token)
    await asyncio.sleep(server.settings.reconnect_grace_seconds + 1)
    async with server.http(supervisor_token) as http:
        call = (await http.get(f"/api/calls/{call_id}")).json()
    assert (call["status"], call["end_reason"]) == ("ended", "dropped")


async def test_second_agent_window_replaces_the_first(server: RunningServer) -> None:
    first = await server.agent("agent1")
    second = await server.ws("/ws/agent", token=await server.login("agent1"))
    await second.expect("hello")
    await first.expect_closed(4409)
