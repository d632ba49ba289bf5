"""Hold and resume: both parties and a supervisor are told, the hold time is logged, and the agent's
speech during the hold does not reach the customer."""

from __future__ import annotations

from sqlalchemy import select

from earshot.db import Database
from earshot.sessions.models import CallEvent
from tests.harness import RunningServer, active_call, watching_supervisor


async def test_hold_and_resume_reach_both_parties_and_the_log_keeps_the_hold_time(server: RunningServer) -> None:
    call_id, customer, agent = await active_call(server)
    supervisor = await watching_supervisor(server, call_id)

    await agent.send({"type": "hold_call", "call_id": call_id, "held": True})
    for side in (customer, agent, supervisor):
        await side.expect("call_held", call_id=call_id)

    await agent.send({"type": "hold_call", "call_id": call_id, "held": False})
    resumed = [await side.expect("call_resumed", call_id=call_id) for side in (customer, agent, supervisor)]
    assert resumed[0]["held_ms"] >= 0 and resumed[0]["held_ms"] == resumed[2]["held_ms"]

    db = Database(server.database_url)
    try:
        async with db.sessions() as session:
            rows = await session.execute(
                select(CallEvent.type, CallEvent.payload).where(CallEvent.call_id == call_id).order_by(CallEvent.seq)
            )
            held = [(kind, payload) for kind, payload in rows if kind in ("call_held", "call_resumed")]
    finally:
        await db.close()
    assert [kind for kind, _ in held] == ["call_held", "call_resumed"]
    assert held[1][1]["held_ms"] == resumed[0]["held_ms"]


async def test_holding_twice_or_resuming_a_call_not_held_is_a_conflict_and_changes_nothing(server: RunningServer) -> None:
    call_id, customer, agent = await active_call(server)
    with agent.allow_errors("conflict"):
        await agent.send({"type": "hold_call", "call_id": call_id, "held": False})
        assert (await agent.expect("error"))["code"] == "conflict"
        await agent.send({"type": "hold_call", "call_id": call_id, "held": True})
        await agent.expect("call_held")
        await agent.send({"type": "hold_call", "call_id": call_id, "held": True})
        assert (await agent.expect("error"))["code"] == "conflict"
    await customer.expect("call_held")
    await customer.nothing_of("call_held", within=0.5)


async def test_a_customer_cannot_hold_the_call(server: RunningServer) -> None:
    call_id, customer, _agent = await active_call(server)
    with customer.allow_errors("invalid", "forbidden", "unauthorized"):
        await customer.send({"type": "hold_call", "call_id": call_id, "held": True})
        error = await customer.expect("error")
    assert error["code"] in ("invalid", "forbidden", "unauthorized")
    await customer.nothing_of("call_held", within=0.5)
