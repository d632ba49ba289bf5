"""A customer and an agent are matched, chat, hang up and wrap up; everything is logged."""

from __future__ import annotations

from tests.harness import RunningServer


async def test_customer_and_agent_are_matched_and_chat_both_ways(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer("Jane Doe")

    offer = await agent.expect("call_offer")
    assert offer["call_id"] == call_id and offer["customer_name"] == "Jane Doe"
    await agent.send({"type": "accept_offer", "call_id": call_id})
    started = await customer.expect("call_started")
    assert started["agent_name"] == "Alex Agent"
    await agent.expect("agent_state", status="in_call", call_id=call_id)

    await customer.send({"type": "chat", "text": "Hi, my headphones broke"})
    for side in (agent, customer):
        chat = await side.expect("chat")
        assert (chat["speaker"], chat["text"]) == ("customer", "Hi, my headphones broke")
    await agent.send({"type": "chat", "call_id": call_id, "text": "Sorry to hear that!"})
    for side in (customer, agent):
        chat = await side.expect("chat", speaker="agent")
        assert chat["text"] == "Sorry to hear that!" and chat["author"] == "Alex Agent"


async def test_customer_sees_queue_position_until_answered(server: RunningServer) -> None:
    first_id, _, first = await server.customer("First")
    _, _, second = await server.customer("Second")
    assert (await second.expect("queue_position"))["position"] == 2
    assert (await first.expect("queue_position"))["position"] == 1

    agent = await server.agent("agent1")
    await agent.expect("call_offer", call_id=first_id)
    await agent.send({"type": "accept_offer", "call_id": first_id})
    await first.expect("call_started")
    # Once the first caller is answered, the second moves up.
    assert (await second.expect("queue_position", position=1))["queue_length"] == 1


async def test_longest_waiting_customer_goes_to_longest_idle_agent(server: RunningServer) -> None:
    idle_longest = await server.agent("agent2")
    idle_shortest = await server.agent("agent1")
    first_id, _, _ = await server.customer("First")
    second_id, _, _ = await server.customer("Second")
    assert (await idle_longest.expect("call_offer"))["call_id"] == first_id
    assert (await idle_shortest.expect("call_offer"))["call_id"] == second_id


async def test_unanswered_offer_moves_on_and_makes_agent_unavailable(server: RunningServer) -> None:
    sleepy = await server.agent("agent1")
    call_id, _, customer = await server.customer()
    await sleepy.expect("call_offer", call_id=call_id)
    backup = await server.agent("agent2")  # idle for less time, so offered second
    revoked = await sleepy.expect("offer_revoked", timeout=5)
    assert revoked["reason"] == "expired"
    await sleepy.expect("agent_state", status="unavailable")
    await backup.expect("call_offer", call_id=call_id, timeout=5)


async def test_declined_offer_goes_to_the_next_agent(server: RunningServer) -> None:
    first = await server.agent("agent1")
    second = await server.agent("agent2")
    call_id, _, _ = await server.customer()
    await first.expect("call_offer", call_id=call_id)
    await first.send({"type": "decline_offer", "call_id": call_id})
    await first.expect("offer_revoked", reason="declined")
    await second.expect("call_offer", call_id=call_id)
    await first.nothing_of("call_offer", within=0.5)


async def test_ended_call_needs_wrap_up_before_next_offer(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _, customer = await server.customer()
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")

    await customer.send({"type": "end_call"})
    ended = await agent.expect("call_ended")
    assert (ended["reason"], ended["ended_by"]) == ("hangup", "customer")
    await customer.expect("call_ended")
    await agent.has_or_expect("agent_state", status="wrap_up", call_id=call_id)

    next_id, _, _ = await server.customer("Next")
    await agent.nothing_of("call_offer", within=0.5)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": "Refund issued"})
    await agent.expect("call_wrapped_up", disposition="resolved")
    await agent.expect("call_offer", call_id=next_id)

    supervisor_token = await server.login("supervisor")
    async with server.http(supervisor_token) as http:
        call = (await http.get(f"/api/calls/{call_id}")).json()
    assert (call["status"], call["disposition"], call["notes"]) == ("ended", "resolved", "Refund issued")
    assert call["agent_name"] == "Alex Agent" and call["end_reason"] == "hangup"


async def test_every_event_is_logged_in_order(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _, customer = await server.customer()
    await agent.expect("call_offer")
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    await customer.send({"type": "chat", "text": "hello"})
    await agent.expect("chat")
    await agent.expect("suggestion")
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended")
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "follow_up", "notes": ""})
    await agent.expect("call_wrapped_up")

    async with server.http(await server.login("supervisor")) as http:
        events = (await http.get(f"/api/calls/{call_id}/events")).json()
    assist = {"customer_context", "sentiment", "suggestion"}
    summary = {"call_summary"}  # logged a moment after call_ended, off the call's path
    assert [e["type"] for e in events if e["type"] not in assist | summary] == [
        "call_queued", "call_offered", "call_started", "chat", "call_ended", "call_wrapped_up"
    ]
    assert {e["type"] for e in events} >= assist
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    offsets = [e["offset_ms"] for e in events if e["type"] not in summary]
    assert offsets == sorted(offsets) and offsets[0] == 0


async def test_customer_hangup_while_queued_is_abandoned(server: RunningServer) -> None:
    _, _, customer = await server.customer()
    await customer.send({"type": "end_call"})
    ended = await customer.expect("call_ended")
    assert ended["reason"] == "abandoned"


async def test_supervisor_watches_a_live_call(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _, customer = await server.customer("Watched Caller")
    await agent.expect("call_offer")
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    await customer.send({"type": "chat", "text": "before the supervisor came"})
    await agent.expect("chat")

    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.expect("hello")
    live = await supervisor.expect("live_calls")
    assert [(c["call_id"], c["status"], c["agent_name"]) for c in live["calls"]] == [(call_id, "active", "Alex Agent")]
    await supervisor.send({"type": "watch", "call_id": call_id})
    history = await supervisor.expect("chat")
    assert history["text"] == "before the supervisor came"
    await supervisor.expect("resumed", call_id=call_id)
    await agent.send({"type": "chat", "call_id": call_id, "text": "live now"})
    assert (await supervisor.expect("chat"))["text"] == "live now"

    await supervisor.send({"type": "chat", "call_id": call_id, "text": "I should not be heard"})
    error = await supervisor.expect("error")
    assert error["code"] == "forbidden"
    await customer.nothing_of("chat", within=0.3, text="I should not be heard")
