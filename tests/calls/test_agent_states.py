"""Agent states beyond on/off: away with a reason (break, lunch, meeting, ...), told back to the agent,
kept across a reconnect, never offered a call, and counted as not present for utilization."""

from __future__ import annotations

from sqlalchemy import select

from earshot.db import Database
from earshot.metrics.models import AgentEvent
from tests.harness import RunningServer


async def test_an_agent_on_break_is_told_why_and_gets_no_call_until_available(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    await agent.send({"type": "set_availability", "available": False, "reason": "break"})
    state = await agent.expect("agent_state", status="unavailable")
    assert state["reason"] == "break"

    call_id, _, _ = await server.customer()
    await agent.nothing_of("call_offer", within=0.5)

    await agent.send({"type": "set_availability", "available": True, "reason": "break"})  # ignored when available
    back = await agent.expect("agent_state", status="available")
    assert back["reason"] is None
    await agent.expect("call_offer", call_id=call_id)


async def test_the_away_reason_survives_a_reconnect_and_a_plain_off_has_none(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    await agent.send({"type": "set_availability", "available": False, "reason": "meeting"})
    await agent.expect("agent_state", status="unavailable", reason="meeting")
    token = await server.login("agent1")  # before the close: the test server's grace is 1.5 s
    await agent.close()

    again = await server.ws("/ws/agent", token=token)
    await again.expect("hello")
    assert (await again.expect("agent_state"))["reason"] == "meeting"

    await again.send({"type": "set_availability", "available": False})
    await again.expect("agent_state", status="unavailable", reason=None)  # a reconnect may repeat the old state first


async def test_an_unknown_reason_is_refused_and_changes_nothing(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    with agent.allow_errors("invalid"):
        await agent.send({"type": "set_availability", "available": False, "reason": "nap"})
        assert (await agent.expect("error"))["code"] == "invalid"
    call_id, _, _ = await server.customer()
    await agent.expect("call_offer", call_id=call_id)  # still available


async def test_time_away_is_not_present_time(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    await agent.send({"type": "set_availability", "available": False, "reason": "lunch"})
    await agent.expect("agent_state", status="unavailable", reason="lunch")
    # The metrics recorder writes agent states in the background: poll for them.
    db = Database(server.database_url)
    try:
        states: list[str] = []
        for _ in range(100):
            async with db.sessions() as session:
                states = list((await session.execute(select(AgentEvent.state).order_by(AgentEvent.id))).scalars())
            if states[-1:] == ["unavailable"]:
                break
            await agent.drain(0.05)
        assert states[-2:] == ["available", "unavailable"]  # lunch counts as not present, like any time away
    finally:
        await db.close()
