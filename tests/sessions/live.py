"""Live calls for the sessions tests: taken, talked through, hung up and wrapped up on a real server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.harness import RunningServer, WsClient

COMPLAINT = "My order 20417 never arrived and I am really upset about the parcel."


async def answered_call(shop: RunningServer, agent: WsClient, name: str) -> tuple[str, WsClient]:
    call_id, token = await shop.start_call(name)
    customer = await shop.call_ws(call_id, token)
    await customer.expect("hello")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, customer


async def logged(shop: RunningServer, call_id: str) -> list[dict[str, Any]]:
    async with shop.http(await shop.login("supervisor")) as http:
        response = await http.get(f"/api/calls/{call_id}/events")
    response.raise_for_status()
    return list(response.json())


async def summary_of(shop: RunningServer, call_id: str, within: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = [e for e in await logged(shop, call_id) if e["type"] == "call_summary"]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id} got no call_summary within {within} s")


async def finished_call(shop: RunningServer, agent: WsClient, name: str, line: str) -> str:
    """A call agent's took: the customer says `line`, the agent answers, hangs up and wraps up."""
    call_id, customer = await answered_call(shop, agent, name)
    await customer.send({"type": "chat", "text": line})
    await agent.expect("chat", speaker="customer")
    await agent.send({"type": "chat", "call_id": call_id, "text": "Let me trace that parcel for you."})
    await customer.expect("chat", speaker="agent")
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended")
    await agent.expect("call_summary", call_id=call_id, timeout=10)
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "follow_up", "notes": "Trace opened"})
    await agent.expect("agent_state")
    await summary_of(shop, call_id)
    return call_id
