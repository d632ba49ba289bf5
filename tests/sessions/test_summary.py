"""The post-call summary: offline from the log (deterministic), and through an OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from earshot.sessions.summary import offline_summary
from earshot.sessions.summary_llm import LlmSummarizer
from earshot.config import Settings
from tests.assist.openai_double import API_KEY, GOOD, completion
from tests.harness import RunningServer, invalid_api_key, serve_in_thread
from tests.sessions.calllog import LATE_PARCEL, build
from tests.sessions.live import COMPLAINT, finished_call, summary_of

WRITTEN = {
    "reason": "Order 20417 is two weeks late.",
    "actions": ["Checked the order with the carrier", "Opened a trace"],
    "outcome": "The customer was reassured.",
    "follow_ups": ["Call back when the trace answers"],
}


def summary_double(received: list[dict[str, Any]]) -> FastAPI:
    """An OpenAI-compatible chat server that writes summaries (`/ok/v1`), fails (`/broken/v1`) or babbles."""
    app = FastAPI()

    @app.post("/{mode}/v1/chat/completions")
    async def chat(mode: str, request: Request, authorization: str | None = Header(None)) -> Response:
        if authorization != f"Bearer {API_KEY}":
            return invalid_api_key()
        received.append(await request.json())
        if mode == "broken":
            return JSONResponse({"error": {"message": "The server had an error"}}, status_code=500)
        body = received[-1]
        if "summarise" not in body["messages"][0]["content"]:  # a live call's suggestions
            return JSONResponse(completion(json.dumps(GOOD)))
        content = "Sure, here is a summary." if mode == "garbage" else json.dumps(WRITTEN)
        return JSONResponse(completion(content))

    return app


@pytest.fixture(scope="module")
def llm() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    with serve_in_thread(summary_double(received)) as base_url:
        yield base_url, received


def test_the_offline_summary_says_why_what_how_it_ended_and_the_mood() -> None:
    summary = offline_summary(build(LATE_PARCEL))
    assert summary.reason == "My order 20417 is two weeks late and I am furious. (track order)"
    assert summary.actions == ["Track order: Check order 20417 with the carrier."]
    assert summary.outcome == "The call was ended by the agent"
    assert (summary.sentiment_start, summary.sentiment_end) == (-0.72, -0.1)
    assert summary.provider == "offline"
    assert summary.notes.splitlines()[0] == "Reason: My order 20417 is two weeks late and I am furious. (track order)."
    assert "Sentiment: -0.72 → -0.10." in summary.notes


def test_the_offline_summary_is_the_same_for_the_same_log() -> None:
    assert offline_summary(build(LATE_PARCEL)) == offline_summary(build(LATE_PARCEL))


def test_the_wrap_up_and_an_abandoned_call_change_the_outcome() -> None:
    wrapped = [*LATE_PARCEL, (60000, "call_wrapped_up", {"disposition": "follow_up", "notes": ""})]
    summary = offline_summary(build(wrapped))
    assert summary.outcome == "Follow up; the call was ended by the agent"
    assert summary.follow_ups == ["Call the customer back as agreed"]
    abandoned = offline_summary(build([LATE_PARCEL[0], (9000, "call_ended", {"reason": "abandoned", "ended_by": "customer"})]))
    assert abandoned.reason == "Not stated" and abandoned.outcome == "The customer left before an agent answered"
    assert abandoned.sentiment_start is None and "Sentiment" not in abandoned.notes


async def test_the_llm_writes_the_summary_from_the_redacted_transcript(llm: tuple[str, list[dict[str, Any]]]) -> None:
    base_url, received = llm
    steps = [*LATE_PARCEL[:3], (8000, "chat", {"speaker": "customer", "author": "c", "text": "card 4111 1111 1111 1111"}),
             *LATE_PARCEL[3:]]  # fmt: skip
    summarizer = LlmSummarizer(f"{base_url}/ok/v1", API_KEY, "test-model", timeout=5)
    try:
        summary = await summarizer.summarize(build(steps))
    finally:
        await summarizer.aclose()
    assert summary.provider == "llm"
    assert (summary.reason, summary.actions, summary.outcome, summary.follow_ups) == tuple(WRITTEN.values())
    assert (summary.sentiment_start, summary.sentiment_end) == (-0.72, -0.1)  # from the log, never the model
    assert summary.notes.startswith("Reason: Order 20417 is two weeks late.")
    prompt = received[-1]["messages"][1]["content"]
    assert "Customer: My order 20417 is two weeks late" in prompt and "4111 1111 1111 1111" not in prompt


@pytest.mark.parametrize(("mode", "key"), [("broken", API_KEY), ("garbage", API_KEY), ("ok", "sk-wrong")])
async def test_a_failing_llm_falls_back_to_the_offline_summary(llm: tuple[str, list[dict[str, Any]]], mode: str, key: str) -> None:
    summarizer = LlmSummarizer(f"{llm[0]}/{mode}/v1", key, "test-model", timeout=5)
    try:
        summary = await summarizer.summarize(build(LATE_PARCEL))
    finally:
        await summarizer.aclose()
    assert summary == offline_summary(build(LATE_PARCEL))


async def test_a_call_where_nothing_was_said_asks_the_llm_nothing(llm: tuple[str, list[dict[str, Any]]]) -> None:
    base_url, received = llm
    before = len(received)
    summarizer = LlmSummarizer(f"{base_url}/ok/v1", API_KEY, "test-model", timeout=5)
    try:
        summary = await summarizer.summarize(build([LATE_PARCEL[0], (9000, "call_ended", {"reason": "abandoned", "ended_by": "customer"})]))
    finally:
        await summarizer.aclose()
    assert summary.provider == "offline" and len(received) == before


async def test_an_unreachable_llm_falls_back_within_the_timeout() -> None:
    summarizer = LlmSummarizer("http://127.0.0.1:9/v1", API_KEY, "test-model", timeout=1)
    try:
        summary = await summarizer.summarize(build(LATE_PARCEL))
    finally:
        await summarizer.aclose()
    assert summary.provider == "offline"


@pytest.fixture
def llm_settings(server_settings: Settings, llm: tuple[str, list[dict[str, Any]]]) -> Settings:
    """The test server, set up (before it starts) to use the LLM double for suggestions and summaries."""
    server_settings.assist_provider = "llm"
    server_settings.assist_llm_base_url = f"{llm[0]}/ok/v1"
    server_settings.assist_llm_api_key = API_KEY
    return server_settings


async def test_with_the_llm_provider_a_live_call_gets_the_llm_summary(llm_settings: Settings, shop: RunningServer) -> None:
    agent = await shop.agent("agent1")
    call_id = await finished_call(shop, agent, "Oliver Bennett", COMPLAINT)
    summary = await summary_of(shop, call_id)
    assert summary["provider"] == "llm" and summary["reason"] == WRITTEN["reason"]
