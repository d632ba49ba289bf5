"""A waiting customer is told an estimated wait with their place in line."""

from __future__ import annotations

from tests.harness import RunningServer


async def test_a_waiting_caller_gets_an_estimate_once_a_call_was_answered(server: RunningServer) -> None:
    first_id, _, first = await server.customer("First")
    position = await first.expect("queue_position")
    assert (position["position"], position["expected_wait_s"]) == (1, None)  # nobody on duty, nothing answered

    agent = await server.agent("agent1")
    await agent.expect("call_offer", call_id=first_id)
    await agent.send({"type": "accept_offer", "call_id": first_id})
    await first.expect("call_started")
    await agent.send({"type": "end_call", "call_id": first_id})
    await agent.has_or_expect("agent_state", status="wrap_up")
    await agent.send({"type": "wrap_up", "call_id": first_id, "disposition": "resolved", "notes": ""})
    await agent.expect("agent_state", status="available")

    second_id, _, _ = await server.customer("Second")
    await agent.expect("call_offer", call_id=second_id)
    await agent.send({"type": "accept_offer", "call_id": second_id})
    await agent.expect("agent_state", status="in_call")

    _, _, third = await server.customer("Third")
    waiting = await third.expect("queue_position")
    # One caller ahead of nobody free, served by the one agent at the first call's length.
    assert waiting["position"] == 1
    assert waiting["expected_wait_s"] is not None and waiting["expected_wait_s"] >= 0
