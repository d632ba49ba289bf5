"""Call transfer: to another available agent (who accepts and carries on the conversation) or back to
the queue (the next free agent picks it up, the caller ahead of later callers); refusals change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from earshot.db import Database
from earshot.sessions.models import CallEvent
from tests.assist.test_assist_live import answered_call
from tests.harness import RunningServer, WsClient, active_call, watching_supervisor


async def _available_id(server: RunningServer, name: str) -> int:
    """The user id of an available agent, from the transfer list agent1 gets."""
    async with server.http(await server.login("agent1")) as http:
        response = await http.get("/api/agents/available")
    response.raise_for_status()
    return next(int(row["agent_id"]) for row in response.json() if row["name"] == name)


def _hello_id(client: WsClient) -> int:
    return int(next(m for m in client.seen if m["type"] == "hello")["user"]["id"])


async def _logged(server: RunningServer, call_id: str) -> list[tuple[str, dict[str, Any]]]:
    db = Database(server.database_url)
    try:
        async with db.sessions() as session:
            rows = await session.execute(
                select(CallEvent.type, CallEvent.payload).where(CallEvent.call_id == call_id).order_by(CallEvent.seq)
            )
            return [(kind, payload) for kind, payload in rows]
    finally:
        await db.close()


async def _chat(sender: WsClient, text: str, *receivers: WsClient) -> None:
    await sender.send({"type": "chat", "text": text})
    for side in (sender, *receivers):
        await side.expect("chat", text=text)


async def test_transfer_to_an_available_agent_who_accepts_and_carries_on(server: RunningServer) -> None:
    call_id, customer, agent1 = await active_call(server)
    supervisor = await watching_supervisor(server, call_id)
    await _chat(customer, "My parcel never arrived", agent1)
    agent2 = await server.agent("agent2")
    agent2_id = await _available_id(server, "Blake Agent")

    await agent1.send({"type": "transfer_call", "call_id": call_id, "to_agent": agent2_id, "reason": "billing"})
    moved = await customer.expect("call_transferred", call_id=call_id)
    assert moved["to"] == "agent" and moved["to_agent_id"] == agent2_id and moved["reason"] == "billing"
    await agent1.expect("call_transferred", call_id=call_id)
    await supervisor.expect("call_transferred", call_id=call_id)
    await agent1.has_or_expect("agent_state", status="available")
    offer = await agent2.expect("call_offer", call_id=call_id)
    assert offer["customer_name"] == "Emily Carter"

    await agent2.send({"type": "accept_offer", "call_id": call_id})
    started = await customer.expect("call_started", call_id=call_id)
    assert started["agent_id"] == agent2_id
    # The new agent's console replays the call so far: what was said before the transfer, and the transfer.
    await agent2.expect("chat", text="My parcel never arrived")
    await agent2.expect("call_transferred")
    await _chat(agent2, "I can help with that", customer)
    await supervisor.expect("chat", text="I can help with that")

    def on_floor(live: dict[str, Any]) -> bool:
        return any(c["call_id"] == call_id and c["agent_name"] == "Blake Agent" for c in live["calls"])

    # The supervisor's list of live calls shows the call with its new agent (by now, or soon).
    latest = next(m for m in reversed(supervisor.seen) if m["type"] == "live_calls")
    while not on_floor(latest):
        latest = await supervisor.expect("live_calls")
    await _chat(customer, "Thank you", agent2)
    await agent1.nothing_of("chat", within=0.5, text="Thank you")  # no longer on the call

    events = await _logged(server, call_id)
    assert [kind for kind, _ in events].count("call_transferred") == 1
    assert [payload["agent_id"] for kind, payload in events if kind == "call_started"][-1] == agent2_id


async def test_transfer_back_to_the_queue_is_picked_up_by_the_next_free_agent_first(server: RunningServer) -> None:
    call_id, customer, agent1 = await active_call(server)
    later_call, _token, later_customer = await server.customer("Later Caller")  # queued after Emily
    await later_customer.expect("queue_position")

    await agent1.send({"type": "transfer_call", "call_id": call_id, "to": "queue"})
    moved = await customer.expect("call_transferred", call_id=call_id)
    assert moved["to"] == "queue" and moved["to_agent_id"] is None
    await agent1.has_or_expect("agent_state", status="available")
    # agent1 handed it on: the queue does not ring them with it; it rings them with the later caller.
    await agent1.expect("call_offer", call_id=later_call)
    await agent1.send({"type": "decline_offer", "call_id": later_call})
    position = await customer.expect("queue_position", call_id=call_id)
    assert position["position"] == 1

    agent2 = await server.agent("agent2")
    await agent2.expect("call_offer", call_id=call_id)  # Emily first: she keeps her place
    await agent2.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started", call_id=call_id)
    await _chat(customer, "Still there?", agent2)

    events = await _logged(server, call_id)
    assert [kind for kind, _ in events].count("call_transferred") == 1


async def test_refused_transfers_leave_the_call_as_it_was(server: RunningServer) -> None:
    call_id, customer, agent1 = await active_call(server)
    agent2 = await server.agent("agent2", available=False)
    agent2_id, agent1_id = _hello_id(agent2), _hello_id(agent1)

    refusals = [
        ({"to_agent": agent2_id}, "conflict"),  # connected but not available
        ({"to_agent": 987_654}, "not_found"),  # no such agent
        ({"to_agent": agent1_id}, "invalid"),  # themselves
        ({"to": "queue", "to_agent": agent2_id}, "invalid"),  # both
        ({}, "invalid"),  # neither
    ]
    with agent1.allow_errors("conflict", "not_found", "invalid"):
        for target, code in refusals:
            await agent1.send({"type": "transfer_call", "call_id": call_id, **target})
            error = await agent1.expect("error")
            assert (error["code"], error.get("ref_type")) == (code, "transfer_call"), (target, error)

    # Another agent (not on the call), the customer and a supervisor may not transfer it.
    await agent2.send({"type": "set_availability", "available": True})
    await agent2.expect("agent_state", status="available")
    with agent2.allow_errors("not_found"):
        await agent2.send({"type": "transfer_call", "call_id": call_id, "to": "queue"})
        assert (await agent2.expect("error"))["code"] == "not_found"
    with customer.allow_errors("forbidden"):
        await customer.send({"type": "transfer_call", "call_id": call_id, "to": "queue"})
        assert (await customer.expect("error"))["code"] == "forbidden"
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.expect("hello")
    with supervisor.allow_errors("forbidden"):
        await supervisor.send({"type": "transfer_call", "call_id": call_id, "to": "queue"})
        assert (await supervisor.expect("error"))["code"] == "forbidden"

    # The call goes on with agent1 as before.
    await _chat(customer, "Hello?", agent1)
    assert "call_transferred" not in [kind for kind, _ in await _logged(server, call_id)]


async def test_a_transfer_the_new_agent_declines_goes_back_to_the_queue_at_the_front(server: RunningServer) -> None:
    call_id, customer, agent1 = await active_call(server)
    await agent1.send({"type": "hold_call", "call_id": call_id, "held": True})
    await customer.expect("call_held")
    agent2 = await server.agent("agent2")
    agent2_id = _hello_id(agent2)
    await agent1.send({"type": "transfer_call", "call_id": call_id, "to_agent": agent2_id})
    await customer.expect("call_resumed")  # the next agent starts off hold
    await customer.expect("call_transferred")
    await agent2.expect("call_offer", call_id=call_id)
    await agent2.send({"type": "decline_offer", "call_id": call_id})
    await customer.expect("queue_position", call_id=call_id, position=1)
    agent3 = await server.agent("agent3")
    await agent3.expect("call_offer", call_id=call_id)


async def test_the_next_agent_gets_the_customer_the_first_one_attached(shop: RunningServer) -> None:
    call_id, agent1, customer = await answered_call(shop, "Michael Smith")  # two namesakes: the agent picks
    candidates = (await agent1.expect("customer_context", reason="caller_id"))["candidates"]
    vip = next(c for c in candidates if c["email"] == "mike.smith@example.net")
    await agent1.send({"type": "attach_customer", "call_id": call_id, "customer_id": vip["id"]})
    await agent1.expect("customer_context", reason="attached")

    agent2 = await shop.agent("agent2")
    await agent1.send({"type": "transfer_call", "call_id": call_id, "to_agent": _hello_id(agent2)})
    await agent2.expect("call_offer", call_id=call_id)
    await agent2.send({"type": "accept_offer", "call_id": call_id})
    attached = await agent2.expect("customer_context", reason="attached")  # replayed from the log
    assert attached["customer"]["id"] == vip["id"]
    await customer.send({"type": "chat", "text": "Where is my standing desk? It still hasn't shipped."})
    suggestion = await agent2.expect("suggestion")
    assert "81990" in suggestion["suggestion"]  # the attached customer's order, not the namesake's
    contexts = [p["reason"] for kind, p in await _logged(shop, call_id) if kind == "customer_context"]
    assert contexts == ["caller_id", "attached"]  # no second guess from the caller's name



async def test_the_transfer_list_holds_only_other_agents_free_now(server: RunningServer) -> None:
    agent1 = await server.agent("agent1")
    await server.agent("agent2")
    await server.agent("agent3", available=False)
    async with server.http() as anonymous:
        assert (await anonymous.get("/api/agents/available")).status_code == 401
    async with server.http(await server.login("agent1")) as http:
        listed = (await http.get("/api/agents/available")).json()
    assert [row["name"] for row in listed] == ["Blake Agent"]  # not themselves, not an agent away
    assert listed[0]["agent_id"] != _hello_id(agent1)
