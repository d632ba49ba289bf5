"""Under overload assist is shed before chat: past its backlog, an utterance gets no suggestion."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from earshot.assist.pipeline import AssistPipeline
from earshot.assist.sentiment import SentimentScore
from earshot.assist.types import Action, Suggestion, SuggestionRequest
from earshot.calls.protocol import Chat
from earshot.db import Database


class FakeHub:
    def __init__(self) -> None:
        self.observers: list[Any] = []
        self.logged: list[tuple[str, str]] = []

    async def log_event(self, call_id: str, event_type: str, **_payload: Any) -> None:
        self.logged.append((call_id, event_type))


class StuckProvider:
    """A suggestion engine that answers only when told to: an overloaded LLM, say."""

    def __init__(self) -> None:
        self.asked = 0
        self.release = asyncio.Event()

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        self.asked += 1
        await self.release.wait()
        return Suggestion(
            suggestion="Check the order.", reasoning="asked", action=Action.track_order, confidence=0.5,
            utterance=request.utterance, provider="stuck",
        )


class NeutralSentiment:
    def score(self, text: str) -> SentimentScore:
        return SentimentScore(score=0.0, label="neutral", confidence=0.5)


async def until_asked(provider: StuckProvider, count: int) -> None:
    """Until the provider has been asked `count` times (assist reads the call's log first)."""
    deadline = asyncio.get_running_loop().time() + 5
    while provider.asked < count:
        assert asyncio.get_running_loop().time() < deadline, provider.asked
        await asyncio.sleep(0.02)


def chat(call_id: str, seq: int) -> Chat:
    return Chat(call_id=call_id, seq=seq, at=datetime.now(UTC), offset_ms=0, speaker="customer", author="C", text="where is my order")


async def test_utterances_past_the_backlog_get_no_suggestion_until_it_drains(database: Database) -> None:
    hub, provider = FakeHub(), StuckProvider()
    pipeline = AssistPipeline(hub, database, provider, NeutralSentiment(), -0.5, max_backlog=6)  # type: ignore[arg-type]
    for n in range(10):
        pipeline.on_event(chat(f"call-{n}", 1))
    assert pipeline.shed == 7  # each admitted utterance holds two tasks (sentiment, suggestion): 3 fit in 6
    await until_asked(provider, 3)
    await asyncio.sleep(0.1)
    assert provider.asked == 3

    provider.release.set()
    deadline = asyncio.get_running_loop().time() + 5
    while sum(1 for _, kind in hub.logged if kind == "suggestion") < 3:
        assert asyncio.get_running_loop().time() < deadline, hub.logged
        await asyncio.sleep(0.02)
    pipeline.on_event(chat("call-9", 2))  # the backlog drained: assist is back
    while sum(1 for _, kind in hub.logged if kind == "suggestion") < 4:
        assert asyncio.get_running_loop().time() < deadline, hub.logged
        await asyncio.sleep(0.02)
    assert pipeline.shed == 7
    await pipeline.stop()


async def test_an_overloaded_server_sheds_assist_whatever_the_backlog(database: Database) -> None:
    hub, provider = FakeHub(), StuckProvider()
    overloaded = [True]
    pipeline = AssistPipeline(
        hub, database, provider, NeutralSentiment(), -0.5, max_backlog=100, overloaded=lambda: overloaded[0]  # type: ignore[arg-type]
    )
    pipeline.on_event(chat("call-1", 1))
    assert (pipeline.shed, provider.asked) == (1, 0)
    overloaded[0] = False
    pipeline.on_event(chat("call-1", 2))
    await until_asked(provider, 1)
    assert pipeline.shed == 1
    await pipeline.stop()


def test_a_saturated_assist_makes_new_calls_busy() -> None:
    from earshot.calls.admission import Admission, LoopLag
    from earshot.config import Settings

    strained = [False]
    admission = Admission(Settings(_env_file=None), lambda: 0, LoopLag(), lambda: strained[0])  # type: ignore[call-arg]
    assert admission.admit("10.0.0.1") is None
    strained[0] = True
    refusal = admission.admit("10.0.0.2")
    assert refusal is not None and refusal.status == 503 and refusal.retry_after > 0
