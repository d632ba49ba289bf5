"""Agent assist on two real `earshot serve` instances (one PostgreSQL, one Redis): wherever each event lands.

Assist runs on the instance that logged the customer's line; feedback and record changes may
come through the other one, or through an instance restarted since the suggestion was made.
Logins failing through both instances count together.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx

from earshot.customers.models import Customer
from earshot.db import Database
from tests.cluster.harness import Cluster
from tests.harness import RunningServer, WsClient

LINES = ["Where is my order? It has not arrived.", "This is the third time I am calling, I am really upset."]


async def logged(server: RunningServer, call_id: str) -> list[dict[str, Any]]:
    async with server.http(await server.login("supervisor")) as http:
        response = await http.get(f"/api/calls/{call_id}/events")
    response.raise_for_status()
    return list(response.json())


async def until_logged(
    server: RunningServer, call_id: str, kind: str, count: int, timeout: float = 15
) -> list[dict[str, Any]]:
    """The call's log once it holds `count` events of `kind` (polled: another instance may still be writing)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        events = await logged(server, call_id)
        if sum(1 for e in events if e["type"] == kind) >= count:
            return events
        assert asyncio.get_running_loop().time() < deadline, [e["type"] for e in events]
        await asyncio.sleep(0.2)


async def answered(
    customer_side: RunningServer, agent_side: RunningServer, agent_name: str, caller: str, **details: str
) -> tuple[str, str, WsClient, WsClient]:
    """A call from `caller` on `customer_side`, accepted by `agent_name` on `agent_side`."""
    agent = await agent_side.agent(agent_name)
    call_id, token = await customer_side.start_call(caller, **details)
    customer = await customer_side.call_ws(call_id, token)
    await customer.expect("hello")
    await agent.expect("call_offer", call_id=call_id, timeout=15)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started", timeout=10)
    await agent.expect("customer_context", timeout=10)
    return call_id, token, customer, agent


async def feedback(agent: WsClient, call_id: str, suggestion_id: str, accepted: bool) -> None:
    message = {"type": "suggestion_feedback", "call_id": call_id, "suggestion_id": suggestion_id, "accepted": accepted}
    await agent.send(message)


async def test_each_line_gets_one_suggestion_and_feedback_through_the_other_instance_is_logged_once(pair: Cluster) -> None:
    one, two = pair.direct(0), pair.direct(1)
    call_id, _token, customer, agent = await answered(one, two, "agent1", "Pat Caller")
    await customer.send({"type": "chat", "text": LINES[0]})
    first = await agent.expect("suggestion", timeout=15)  # made on instance 1, where the line was logged
    await agent.send({"type": "chat", "call_id": call_id, "text": "Sorry to hear that, let me check."})
    await agent.expect("chat", text="Sorry to hear that, let me check.")
    await customer.send({"type": "chat", "text": LINES[1]})
    await agent.expect("suggestion", utterance=LINES[1], timeout=15)

    await feedback(agent, call_id, first["suggestion_id"], True)  # through instance 2, which made none
    echoed = await agent.expect("suggestion_feedback", timeout=10)
    assert (echoed["suggestion_id"], echoed["accepted"]) == (first["suggestion_id"], True)
    await feedback(agent, call_id, first["suggestion_id"], True)  # a resend: already in the log
    await agent.nothing_of("suggestion_feedback", within=1.0)
    await feedback(agent, call_id, "not-one-of-ours", False)
    assert (await agent.expect("error"))["code"] == "not_found"

    await agent.send({"type": "end_call", "call_id": call_id})
    events = await until_logged(one, call_id, "call_summary", 1)
    lines = [e["seq"] for e in events if e["type"] == "chat" and e["speaker"] == "customer"]
    suggestions = Counter(e["answers_seq"] for e in events if e["type"] == "suggestion")
    sentiments = Counter(e["utterance_seq"] for e in events if e["type"] == "sentiment")
    assert suggestions == Counter(lines) and sentiments == Counter(lines)  # one each, agent lines none
    assert [e["suggestion_id"] for e in events if e["type"] == "suggestion_feedback"] == [first["suggestion_id"]]
    await asyncio.sleep(1.5)  # the summary observer runs once: no second instance adds its own
    assert [e["type"] for e in await logged(two, call_id)].count("call_summary") == 1


async def test_feedback_on_an_old_suggestion_is_accepted_after_its_instance_restarts(pair: Cluster) -> None:
    one, two = pair.direct(0), pair.direct(1)
    call_id, token, customer, agent = await answered(one, one, "agent2", "Robin Restart")
    await customer.send({"type": "chat", "text": LINES[0]})
    suggestion = await agent.expect("suggestion", timeout=15)

    # A rolling restart: both parties carry on through instance 2 while instance 1 starts again.
    await asyncio.to_thread(pair.instances[0].stop)
    back = await two.call_ws(call_id, token)
    await back.expect("resumed", call_id=call_id, timeout=10)
    meanwhile = await two.agent("agent2", available=False)
    await meanwhile.expect("resumed", call_id=call_id, timeout=10)
    await asyncio.to_thread(pair.restart, 0)
    agent = await one.agent("agent2", available=False)  # back on the restarted one (instance 2 lets go of it)
    await agent.expect("resumed", call_id=call_id, timeout=10)
    assert any(m.get("suggestion_id") == suggestion["suggestion_id"] for m in agent.seen)

    await feedback(agent, call_id, suggestion["suggestion_id"], False)
    echoed = await agent.expect("suggestion_feedback", timeout=10)
    assert (echoed["suggestion_id"], echoed["accepted"]) == (suggestion["suggestion_id"], False)
    await back.send({"type": "chat", "text": LINES[1]})  # assist carries on for the call on instance 2
    await agent.expect("suggestion", utterance=LINES[1], timeout=15)
    events = await logged(two, call_id)
    assert [e["accepted"] for e in events if e["type"] == "suggestion_feedback"] == [False]
    await agent.send({"type": "end_call", "call_id": call_id})
    await agent.expect("call_ended", timeout=10)


async def test_a_ticket_opened_through_the_other_instance_refreshes_the_panel_once(pair: Cluster) -> None:
    one, two = pair.direct(0), pair.direct(1)
    email = f"ticket.{uuid.uuid4().hex[:8]}@example.com"
    db = Database(pair.database_url)
    async with db.sessions() as session:
        customer_row = Customer(name="Terry Ticket", email=email, status="active", lifetime_value=10)
        session.add(customer_row)
        await session.commit()
        customer_id = customer_row.id
    await db.close()
    call_id, _token, customer, agent = await answered(one, one, "agent3", "Terry Ticket", email=email)
    context = [m for m in agent.seen if m["type"] == "customer_context"][-1]
    assert context["customer"]["id"] == customer_id

    async with two.http(await two.login("agent3")) as http:
        created = await http.post(f"/api/customers/{customer_id}/tickets", json={"subject": "Call me back"})
    assert created.status_code == 201
    updated = await agent.expect("customer_context", reason="updated", timeout=10)  # agent's socket on instance 1
    assert [t["subject"] for t in updated["customer"]["open_tickets"]] == ["Call me back"]
    await agent.nothing_of("customer_context", within=1.0)
    await customer.nothing_of("customer_context", within=0.1)
    events = await logged(two, call_id)
    assert [e.get("reason") for e in events if e["type"] == "customer_context"] == ["caller_id", "updated"]
    await agent.send({"type": "end_call", "call_id": call_id})
    await agent.expect("call_ended", timeout=10)


async def test_failed_logins_through_both_instances_count_together(pair: Cluster) -> None:
    limit = pair.settings.login_max_failures
    statuses = []
    for attempt in range(limit + 1):
        server = pair.direct(attempt % 2)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            answer = await http.post("/api/auth/login", json={"username": "admin", "password": "wrong"})
        statuses.append(answer.status_code)
    assert statuses == [401] * limit + [429], statuses
