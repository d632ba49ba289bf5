"""Agent assist in live calls, at the WebSocket level: who is calling, sentiment, suggestions, and who sees them."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from earshot.calls.protocol import CUSTOMER_VISIBLE_EVENTS
from earshot.calls.simulate import phone_frames
from earshot.config import Settings
from earshot.db import Database
from earshot.sessions.models import CallEvent
from tests.assist.openai_double import API_KEY, GOOD, fake_openai
from tests.harness import RunningServer, WsClient, free_port, serve_in_thread, watching_supervisor
from tests.transcription.test_live_transcription import padded, turn

STAFF_ONLY = {"customer_context", "sentiment", "sentiment_alert", "suggestion", "suggestion_feedback"}
COMPLAINT = "This is ridiculous, my order 20417 was due weeks ago and it still hasn't arrived. I'm furious."
CARD = "4111 1111 1111 1111"


async def answered_call(shop: RunningServer, name: str, **details: str) -> tuple[str, WsClient, WsClient]:
    """(call id, agent, customer) of a call agent1 has just accepted."""
    agent = await shop.agent("agent1")
    call_id, token = await shop.start_call(name, **details)
    customer = await shop.call_ws(call_id, token)
    await customer.expect("hello")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, agent, customer


async def logged(shop: RunningServer, call_id: str) -> list[dict[str, Any]]:
    async with shop.http(await shop.login("supervisor")) as http:
        response = await http.get(f"/api/calls/{call_id}/events")
    response.raise_for_status()
    return list(response.json())


def assert_customer_saw_nothing_for_staff(customer: WsClient) -> None:
    leaked = [m["type"] for m in customer.seen if m["type"] in STAFF_ONLY]
    assert not leaked, f"the customer received {leaked}"
    assert all(m["type"] in CUSTOMER_VISIBLE_EVENTS | {"hello", "queue_position", "resumed", "error"} for m in customer.seen)


# ---------------------------------------------------------------- who is calling


async def test_the_agent_sees_who_is_calling_by_email(shop: RunningServer) -> None:
    _, agent, customer = await answered_call(shop, "Emily Carter", email="emily.carter@example.com")
    context = await agent.expect("customer_context")
    assert context["status"] == "matched" and context["reason"] == "caller_id"
    record = context["customer"]
    assert (record["name"], record["email"], record["status"]) == ("Emily Carter", "emily.carter@example.com", "active")
    assert record["lifetime_value"] > 0 and record["recent_orders"][0]["number"] == "12345"
    await customer.nothing_of("customer_context", within=0.5)


async def test_a_misspelt_name_still_finds_the_caller(shop: RunningServer) -> None:
    _, agent, _ = await answered_call(shop, "Olivr Benett")
    context = await agent.expect("customer_context")
    assert context["status"] == "matched" and context["customer"]["name"] == "Oliver Bennett"
    assert [t["subject"] for t in context["customer"]["open_tickets"]] == ["Where is my order 20417?"]


async def test_two_namesakes_make_the_agent_pick_and_the_pick_updates_the_panel(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Michael Smith")
    context = await agent.expect("customer_context")
    assert context["status"] == "ambiguous" and context["customer"] is None
    candidates = context["candidates"]
    assert {c["email"] for c in candidates} == {"michael.smith@example.com", "mike.smith@example.net"}
    vip = next(c for c in candidates if c["email"] == "mike.smith@example.net")
    await agent.send({"type": "attach_customer", "call_id": call_id, "customer_id": vip["id"]})
    attached = await agent.expect("customer_context", reason="attached")
    assert attached["status"] == "matched" and attached["customer"]["status"] == "vip"
    await customer.send({"type": "chat", "text": "Where is my standing desk? It still hasn't shipped."})
    suggestion = await agent.expect("suggestion")
    assert "81990" in suggestion["suggestion"]  # the attached customer's order, not the namesake's
    assert_customer_saw_nothing_for_staff(customer)


async def test_an_unknown_caller_leaves_the_panel_empty_until_the_agent_attaches_one(shop: RunningServer) -> None:
    call_id, agent, _ = await answered_call(shop, "Zebedee Quarrington", phone="+15005550000")
    context = await agent.expect("customer_context")
    assert (context["status"], context["customer"], context["candidates"]) == ("unknown", None, [])
    await agent.send({"type": "attach_customer", "call_id": call_id, "customer_id": 999_999})
    error = await agent.expect("error")
    assert error["code"] == "not_found"


async def test_a_new_ticket_refreshes_the_panel_of_the_live_call(shop: RunningServer) -> None:
    _, agent, _ = await answered_call(shop, "Priya Patel", email="priya.patel@example.net")
    customer_id = (await agent.expect("customer_context"))["customer"]["id"]
    async with shop.http(await shop.login("agent1")) as http:
        created = await http.post(f"/api/customers/{customer_id}/tickets", json={"subject": "Send a technician"})
    assert created.status_code == 201
    updated = await agent.expect("customer_context", reason="updated")
    assert "Send a technician" in [t["subject"] for t in updated["customer"]["open_tickets"]]


# ---------------------------------------------------------------- sentiment and suggestions


async def test_a_typed_complaint_gets_sentiment_an_alert_and_a_suggestion_for_staff_only(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Oliver Bennett", email="oliver.bennett@example.net")
    supervisor = await watching_supervisor(shop, call_id)
    await agent.expect("customer_context")
    await customer.send({"type": "chat", "text": COMPLAINT})
    chat = await agent.expect("chat")

    # Sentiment and the suggestion are worked out side by side: either may arrive first.
    sentiment = await agent.has_or_expect("sentiment")
    assert sentiment["utterance_seq"] == chat["seq"] and sentiment["label"] == "negative" and sentiment["score"] < -0.5
    alert = await agent.has_or_expect("sentiment_alert")
    assert "negative" in alert["reason"].lower()
    suggestion = await agent.has_or_expect("suggestion")
    assert suggestion["action"] == "track_order" and suggestion["answers_seq"] == chat["seq"]
    assert suggestion["utterance"] == COMPLAINT and 0 < suggestion["confidence"] <= 1
    assert "20417" in suggestion["suggestion"] and "FedEx" in suggestion["suggestion"]
    assert suggestion["reasoning"] and [s["id"] for s in suggestion["sources"]][0] == "shipping-and-tracking"

    seen_by_supervisor = await supervisor.has_or_expect("suggestion")
    assert seen_by_supervisor["suggestion_id"] == suggestion["suggestion_id"]
    await supervisor.has_or_expect("sentiment", utterance_seq=chat["seq"])
    await supervisor.has_or_expect("sentiment_alert", utterance_seq=chat["seq"])
    await customer.nothing_of("suggestion", within=1.0)
    assert_customer_saw_nothing_for_staff(customer)


async def test_every_customer_message_gets_its_own_suggestion_and_agent_lines_get_none(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Jane Doe", email="jane.doe@example.com")
    await customer.send({"type": "chat", "text": "I forgot my password and the reset email never arrives."})
    first = await agent.expect("suggestion")
    await agent.send({"type": "chat", "call_id": call_id, "text": "Sorry about that. Can you confirm your email?"})
    await customer.send({"type": "chat", "text": "Sure, it is jane dot doe at example dot com."})
    second = await agent.expect("suggestion")
    assert (first["action"], second["action"]) == ("reset_password", "verify_identity")
    assert "match" in second["suggestion"]  # the email given is the one on the record
    events = await logged(shop, call_id)
    chats = {e["seq"]: e for e in events if e["type"] == "chat"}
    answered = [chats[e["answers_seq"]]["speaker"] for e in events if e["type"] == "suggestion"]
    assert answered == ["customer", "customer"]


async def test_the_agent_accepts_or_dismisses_a_suggestion_and_it_is_logged(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Emily Carter")
    await customer.send({"type": "chat", "text": "The left ear of my headphones stopped working, I want a refund."})
    suggestion = await agent.expect("suggestion")
    assert suggestion["action"] == "offer_refund" and "12345" in suggestion["suggestion"]
    await agent.send({"type": "suggestion_feedback", "call_id": call_id, "suggestion_id": suggestion["suggestion_id"], "accepted": True})
    feedback = await agent.expect("suggestion_feedback")
    assert (feedback["suggestion_id"], feedback["accepted"]) == (suggestion["suggestion_id"], True)
    await agent.send({"type": "suggestion_feedback", "call_id": call_id, "suggestion_id": "not-one-of-ours", "accepted": False})
    assert (await agent.expect("error"))["code"] == "not_found"
    await customer.send({"type": "suggestion_feedback", "suggestion_id": suggestion["suggestion_id"], "accepted": False})
    assert (await customer.expect("error"))["code"] == "forbidden"
    events = await logged(shop, call_id)
    assert [(e["type"], e.get("accepted")) for e in events if e["type"] == "suggestion_feedback"] == [("suggestion_feedback", True)]


async def test_card_numbers_are_masked_on_screen_and_in_the_log(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Emily Carter")
    await customer.send({"type": "chat", "text": f"Please refund it to my card {CARD}, my SSN is 123-45-6789."})
    shown = await agent.expect("chat")
    assert "[card ending 1111]" in shown["text"] and "[SSN]" in shown["text"]
    assert "4111" not in shown["text"] and "6789" not in shown["text"]
    suggestion = await agent.expect("suggestion")
    assert "4111" not in suggestion["utterance"]
    db = Database(shop.database_url)
    try:
        async with db.sessions() as session:
            from sqlalchemy import select

            payloads = (await session.scalars(select(CallEvent.payload).where(CallEvent.call_id == call_id))).all()
    finally:
        await db.close()
    stored = json.dumps(payloads)
    assert "4111" not in stored and "1111 1111" not in stored and "123-45" not in stored


# ---------------------------------------------------------------- the REST twin of live suggestions


async def test_suggestions_on_demand_use_the_same_engine(shop: RunningServer) -> None:
    async with shop.http(await shop.login("agent1")) as http:
        found = (await http.get("/api/customers/search", params={"q": "marcus.lee@example.com"})).json()[0]
        body = {
            "utterance": "There is a charge of forty nine dollars on my card that I do not recognise.",
            "history": [{"speaker": "agent", "text": "Billing, how can I help you today?"}],
            "customer_id": found["id"],
        }
        response = await http.post("/api/assist/suggestions", json=body)
        assert response.status_code == 200, response.text
        suggestion = response.json()
        assert suggestion["action"] == "explain_billing" and suggestion["provider"] == "playbook"
        assert "30049" in suggestion["suggestion"] and "$49.00" in suggestion["suggestion"]
        articles = (await http.get("/api/assist/knowledge", params={"q": "refund window"})).json()
        assert articles[0]["id"] == "refunds" and articles[0]["snippet"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"utterance": ""}, 422),
        ({"utterance": "x" * 4001}, 422),
        ({"utterance": "hello", "history": [{"speaker": "robot", "text": "beep"}]}, 422),
        ({"utterance": "hello", "history": "not a list"}, 422),
        ({"utterance": "hello", "customer_id": 987654}, 404),
        ({}, 422),
    ],
)
async def test_bad_suggestion_requests_get_clear_errors(shop: RunningServer, body: dict[str, Any], status: int) -> None:
    async with shop.http(await shop.login("agent1")) as http:
        response = await http.post("/api/assist/suggestions", json=body)
        assert response.status_code == status, response.text
        assert response.json()["detail"]
        assert (await http.post("/api/assist/suggestions", json={"utterance": "Where is my parcel?"})).status_code == 200


async def test_knowledge_search_rejects_an_empty_query(shop: RunningServer) -> None:
    async with shop.http(await shop.login("agent1")) as http:
        assert (await http.get("/api/assist/knowledge", params={"q": ""})).status_code == 422


# ---------------------------------------------------------------- an LLM provider in live calls


@pytest.fixture
def openai_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    with serve_in_thread(fake_openai(received)) as base_url:
        yield base_url, received


@pytest.fixture
def llm_settings(server_settings: Settings, openai_server: tuple[str, list[dict[str, Any]]]) -> Settings:
    """The test server, set up (before it starts) to use the fake LLM that answers slowly."""
    server_settings.assist_provider = "llm"
    server_settings.assist_llm_base_url = f"{openai_server[0]}/slow/v1"
    server_settings.assist_llm_api_key = API_KEY
    server_settings.assist_llm_timeout_seconds = 4.0
    return server_settings


async def test_the_llm_sees_only_masked_text_and_a_newer_message_supersedes_a_pending_suggestion(
    llm_settings: Settings, openai_server: tuple[str, list[dict[str, Any]]], shop: RunningServer
) -> None:
    call_id, agent, customer = await answered_call(shop, "Emily Carter")
    await customer.send({"type": "chat", "text": f"My card {CARD} was charged twice, SSN 123-45-6789."})
    first = await agent.expect("chat")
    await asyncio.sleep(0.5)  # the LLM is still thinking about the first message
    await customer.send({"type": "chat", "text": "The left ear stopped working, I want a refund."})
    second = await agent.expect("chat")
    suggestion = await agent.expect("suggestion", timeout=8)
    assert suggestion["provider"] == "llm" and suggestion["suggestion"] == GOOD["suggestion"]
    assert suggestion["answers_seq"] == second["seq"] != first["seq"]
    await agent.nothing_of("suggestion", within=2.5)  # the first one was superseded, never sent
    sent = json.dumps([request["body"] for request in openai_server[1]])
    assert len(openai_server[1]) == 2
    assert "4111" not in sent and "1111 1111" not in sent and "123-45-6789" not in sent
    assert "[card ending 1111]" in sent
    events = await logged(shop, call_id)
    assert [e["answers_seq"] for e in events if e["type"] == "suggestion"] == [second["seq"]]


@pytest.fixture
def unreachable_llm_settings(server_settings: Settings) -> Settings:
    server_settings.assist_provider = "llm"
    server_settings.assist_llm_base_url = f"http://127.0.0.1:{free_port()}/v1"
    return server_settings


async def test_an_unreachable_llm_falls_back_to_the_playbook_in_a_live_call(
    unreachable_llm_settings: Settings, shop: RunningServer
) -> None:
    _, agent, customer = await answered_call(shop, "Robert Nguyen")
    await customer.send({"type": "chat", "text": "The office chair I ordered came with a broken wheel."})
    suggestion = await agent.expect("suggestion")
    assert suggestion["provider"] == "playbook" and suggestion["action"] == "offer_replacement"
    assert "70588" in suggestion["suggestion"] and "LLM unavailable" in suggestion["reasoning"]


# ---------------------------------------------------------------- a spoken call


async def test_a_phone_caller_is_known_by_number_and_a_spoken_complaint_gets_a_suggestion(shop: RunningServer) -> None:
    audio, _ = turn("d02-where-is-order", 2)  # "My package was supposed to arrive on Monday and it still is not here."
    agent = await shop.agent("agent2")
    phone = await shop.ws("/ws/telephony/twilio")
    await phone.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    start = {
        "streamSid": "MZ7", "callSid": "CA7", "tracks": ["inbound"],
        "customParameters": {"name": "+1 212-555-0102", "phone": "+1 212-555-0102"},  # Twilio's {{From}}
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }  # fmt: skip
    await phone.send({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": "MZ7"})
    offer = await agent.expect("call_offer", timeout=30)
    await agent.send({"type": "accept_offer", "call_id": offer["call_id"]})
    context = await agent.expect("customer_context")
    assert context["status"] == "matched" and context["customer"]["name"] == "Oliver Bennett"
    for number, frame in enumerate(phone_frames(padded(audio)), start=2):
        media = {"track": "inbound", "chunk": str(number), "timestamp": str(number * 20), "payload": base64.b64encode(frame).decode()}
        await phone.send({"event": "media", "sequenceNumber": str(number), "media": media, "streamSid": "MZ7"})
        await asyncio.sleep(0.01)
    final = await agent.expect("transcript", timeout=60, final=True)
    suggestion = await agent.has_or_expect("suggestion", timeout=10)
    assert suggestion["answers_seq"] == final["seq"] and suggestion["utterance"] == final["text"]
    assert suggestion["action"] == "track_order" and "20417" in suggestion["suggestion"]
    await phone.send({"event": "stop", "sequenceNumber": "999", "streamSid": "MZ7"})
