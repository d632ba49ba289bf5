"""Assist's CPU work in worker processes: the same answers as in-process, cancellation, shutdown, crashes."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from earshot.assist.factory import Assist, create_assist
from earshot.assist.offload import OffloadedSentiment, live_worker_pids
from earshot.assist.pipeline import AssistPipeline
from earshot.assist.types import SuggestionRequest, Turn
from earshot.calls.protocol import Chat
from earshot.config import Settings
from earshot.db import Database
from tests.assist.test_assist_live import answered_call
from tests.harness import CALLS_AUDIO, RunningServer

MANIFEST = CALLS_AUDIO / "manifest.tsv"


def scripted_requests() -> list[SuggestionRequest]:
    """Every customer turn of the scripted calls, with the conversation before it."""
    with MANIFEST.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    requests, history, call = [], [], None
    for row in rows:
        if row["call"] != call:
            call, history = row["call"], []
        if row["speaker"] == "customer":
            requests.append(SuggestionRequest(utterance=row["text"], history=list(history)))
        history.append(Turn(speaker=row["speaker"], text=row["text"]))
    # And some that are not in a script: several sentences, digits, chit-chat of one word.
    extra = [
        "Hello. I have been waiting for two weeks. My order 20417 still hasn't arrived and nobody called me back.",
        "ok",
        "call 3 line 17",
        "Thanks so much, that sorted it out!",
    ]
    return requests + [SuggestionRequest(utterance=text, history=history[-4:]) for text in extra]


class RecordingHub:
    """Stands in for the call hub's two members that assist uses: observers and log_event."""

    def __init__(self) -> None:
        self.observers: list[Any] = []
        self.logged: list[tuple[str, str, dict[str, Any]]] = []

    async def log_event(self, call_id: str, event_type: str, **payload: Any) -> None:
        self.logged.append((call_id, event_type, payload))

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [payload for _, kind, payload in self.logged if kind == event_type]


def chat(call_id: str, seq: int, text: str) -> Chat:
    return Chat(call_id=call_id, seq=seq, at=datetime.now(UTC), offset_ms=0, speaker="customer", author="C", text=text)


def pooled_settings(**changes: Any) -> Settings:
    return Settings(_env_file=None, **{"assist_workers": 1, **changes})  # type: ignore[call-arg]


@pytest.fixture
async def pooled() -> AsyncIterator[Assist]:
    assist = await asyncio.to_thread(create_assist, pooled_settings(assist_batch_window_ms=20.0))
    try:
        yield assist
    finally:
        await assist.provider.aclose()


async def test_workers_give_the_same_suggestions_and_sentiment_as_the_server_alone(pooled: Assist) -> None:
    requests = scripted_requests()
    assert len(requests) >= 20  # the scripted calls' customer turns, and a few more
    sentiment = pooled.sentiment
    assert isinstance(sentiment, OffloadedSentiment)
    # All at once, so the workers get them in batches embedded together.
    suggestions = await asyncio.gather(*(pooled.provider.suggest(r) for r in requests))
    scores = await asyncio.gather(*(sentiment.score_off_loop(r.utterance) for r in requests))
    assert live_worker_pids(), "the work went to a worker process"

    alone = await asyncio.to_thread(create_assist, pooled_settings(assist_workers=0))
    try:
        engine = alone.provider.workers.core.engine  # type: ignore[attr-defined]
        assert [engine.suggest(r) for r in requests] == suggestions  # one at a time, in this process
        assert [alone.sentiment.score(r.utterance) for r in requests] == scores
    finally:
        await alone.provider.aclose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_newer_utterance_cancels_the_suggestion_still_waiting_for_a_worker(database: Database) -> None:
    assist = await asyncio.to_thread(create_assist, pooled_settings(assist_batch_window_ms=300.0))
    hub = RecordingHub()
    pipeline = AssistPipeline(hub, database, assist.provider, assist.sentiment, -0.5)  # type: ignore[arg-type]
    try:
        pipeline.on_event(chat("call-1", 1, "Where is my order? It has not arrived."))
        await asyncio.sleep(0.05)
        pipeline.on_event(chat("call-1", 2, "I was charged twice for it as well."))
        deadline = asyncio.get_running_loop().time() + 60
        while len(hub.of("suggestion")) < 1 or len(hub.of("sentiment")) < 2:
            assert asyncio.get_running_loop().time() < deadline, hub.logged
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert [s["answers_seq"] for s in hub.of("suggestion")] == [2]
        assert [s["utterance_seq"] for s in hub.of("sentiment")] == [1, 2]  # every utterance is still scored
    finally:
        await pipeline.stop()
        await assist.provider.aclose()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_the_pool_is_shared_by_apps_and_stops_with_the_last_of_them() -> None:
    first = await asyncio.to_thread(create_assist, pooled_settings())
    second = await asyncio.to_thread(create_assist, pooled_settings())
    request = SuggestionRequest(utterance="Where is my order?")
    await first.provider.suggest(request)
    await second.provider.suggest(request)
    workers = live_worker_pids()
    assert len(workers) == 1 and all(alive(pid) for pid in workers)

    await first.provider.aclose()
    assert live_worker_pids() == workers  # the other app still uses it
    await second.provider.suggest(request)
    second.provider.workers.pool_linger_s = 0  # type: ignore[attr-defined]  # the last app: stop now, not later
    await second.provider.aclose()
    assert live_worker_pids() == []
    assert not any(alive(pid) for pid in workers), "a worker outlived the last app"


async def test_a_killed_worker_is_replaced_and_the_call_carries_on(shop: RunningServer) -> None:
    call_id, agent, customer = await answered_call(shop, "Jane Doe", email="jane.doe@example.com")
    await customer.send({"type": "chat", "text": "I forgot my password and the reset email never arrives."})
    first = await agent.expect("suggestion")
    assert first["action"] == "reset_password"
    victims = live_worker_pids()
    assert victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)

    await customer.send({"type": "chat", "text": "I was charged twice on my last bill."})
    second = await agent.expect("suggestion", timeout=60)
    assert second["action"] == "explain_billing" and second["answers_seq"] > first["answers_seq"]
    await agent.has_or_expect("sentiment", utterance_seq=second["answers_seq"])
    assert live_worker_pids() and not set(live_worker_pids()) & set(victims)
    assert call_id
