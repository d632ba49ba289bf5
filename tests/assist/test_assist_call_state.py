"""Assist's per-call state, folded from a real event log (SQLite and PostgreSQL): rebuilt, caught up, bounded."""

from __future__ import annotations

import uuid
from typing import Any

from earshot.assist.call_state import HISTORY_TURNS, CallStates
from earshot.assist.sentiment import SentimentScore, SentimentTracker
from earshot.calls.models import Call, CallStatus
from earshot.calls.protocol import LoggedEvent
from earshot.db import Database, utcnow
from earshot.sessions.log import append_event, to_message

CUSTOMER = {
    "id": 7, "name": "Pat Caller", "email": "pat@example.com", "phone": None, "status": "vip",
    "lifetime_value": 120.0, "recent_orders": [], "open_tickets": [],
}  # fmt: skip


async def new_call(db: Database) -> str:
    call_id = uuid.uuid4().hex
    async with db.sessions() as session:
        session.add(
            Call(
                id=call_id, status=CallStatus.active, channel="web", customer_name="Pat Caller",
                customer_token_hash="-", queued_at=utcnow(), last_seq=0,
            )
        )  # fmt: skip
        await session.commit()
    return call_id


async def log(db: Database, call_id: str, event_type: str, **payload: Any) -> LoggedEvent:
    """Append to the real log, as the hub does; returns the event as observers get it."""
    async with db.sessions() as session:
        call = await session.get(Call, call_id)
        assert call is not None
        event = await append_event(session, call, event_type, payload)
        await session.commit()
        return to_message(event)


def said(speaker: str, text: str) -> dict[str, Any]:
    return {"speaker": speaker, "author": speaker.title(), "text": text}


def states(db: Database, max_calls: int = 100) -> CallStates:
    return CallStates(db, lambda: SentimentTracker(alert_threshold=-0.5), max_calls)


async def test_a_state_missing_here_is_rebuilt_from_the_log(database: Database) -> None:
    call_id = await new_call(database)
    await log(database, call_id, "call_started", agent_id=1, agent_name="Alex Agent")
    await log(database, call_id, "customer_context", status="matched", reason="caller_id", customer=CUSTOMER)
    asked = await log(database, call_id, "chat", **said("customer", "where is my order?"))
    trend = SentimentTracker(alert_threshold=-0.5)
    for score in (-0.6, -0.2):
        update = trend.add(SentimentScore(score, "negative", 0.8))
        await log(
            database, call_id, "sentiment", utterance_seq=asked.seq, score=score, label="negative", confidence=0.8,
            trend=update.trend, trend_delta=update.trend_delta,
        )  # fmt: skip
    await log(
        database, call_id, "suggestion", suggestion_id="s1", answers_seq=asked.seq, utterance="where is my order?",
        suggestion="Track it.", reasoning="asked", action="track_order", confidence=0.9, provider="playbook",
    )  # fmt: skip
    await log(database, call_id, "suggestion_feedback", suggestion_id="s1", accepted=True, agent_id=1)
    await log(database, call_id, "chat", **said("agent", "Let me look."))

    cache = states(database)  # a fresh process: nothing observed
    state = await cache.get(call_id)

    assert state.seq == 8 and cache.rebuilt == 1
    assert state.customer is not None and state.customer.id == 7 and state.identified
    assert [(t.speaker, t.text) for t in state.turns_before(99)] == [
        ("customer", "where is my order?"),
        ("agent", "Let me look."),
    ]
    assert state.turns_before(asked.seq) == []
    assert state.suggestion_ids == {"s1"} and state.feedback == {"s1": True}
    assert state.tracker.trend == trend.trend  # the mood picks up where the log left it


async def test_events_observed_in_order_need_no_read_and_a_gap_is_read_from_the_log(database: Database) -> None:
    call_id = await new_call(database)
    cache = states(database)
    first = await log(database, call_id, "chat", **said("customer", "hello"))
    state = await cache.get(call_id, through=first.seq)
    here = await log(database, call_id, "chat", **said("customer", "are you there?"))
    cache.observe(here)
    assert state.seq == here.seq  # folded at once: the next one after what it had

    elsewhere = await log(database, call_id, "chat", **said("agent", "yes, one moment"))  # another instance
    late = await log(database, call_id, "chat", **said("customer", "ok"))
    cache.observe(late)  # one was missed: nothing is folded out of order
    assert state.seq == here.seq
    assert (await cache.get(call_id, through=late.seq)) is state
    assert state.seq == late.seq and [t.text for t in state.turns_before(late.seq + 1)][-2:] == ["yes, one moment", "ok"]
    cache.observe(late)  # seen again: counted once
    cache.observe(elsewhere)
    assert [t.text for t in state.turns_before(late.seq + 1)] == ["hello", "are you there?", "yes, one moment", "ok"]


async def test_as_logged_here_reads_the_log_only_after_a_gap(database: Database) -> None:
    """A sentiment builds on the state this process logged: no read per line, but one after events logged elsewhere."""
    call_id = await new_call(database)
    cache = states(database)
    first = await log(database, call_id, "chat", **said("customer", "hello"))
    state = await cache.as_logged_here(call_id)  # not here yet: rebuilt from the log
    assert state.seq == first.seq and cache.rebuilt == 1
    sentiment = await log(
        database, call_id, "sentiment", utterance_seq=first.seq, score=-0.6, label="negative", confidence=0.8,
        trend=-0.6, trend_delta=0.0,
    )
    cache.observe(sentiment)
    assert (await cache.as_logged_here(call_id)) is state and state.seq == sentiment.seq
    assert cache.reads == 1, "in step with the log: nothing read"

    await log(database, call_id, "chat", **said("agent", "sorry to hear that"))  # on another instance
    mine = await log(database, call_id, "chat", **said("customer", "it broke again"))
    cache.observe(mine)
    assert state.behind and state.seq == sentiment.seq
    assert (await cache.as_logged_here(call_id)) is state
    assert not state.behind and state.seq == mine.seq and cache.reads == 2
    assert [t.text for t in state.turns_before(mine.seq + 1)] == ["hello", "sorry to hear that", "it broke again"]


async def test_memory_is_bounded_and_an_ended_call_is_dropped(database: Database) -> None:
    cache = states(database, max_calls=2)
    calls = [await new_call(database) for _ in range(3)]
    for call_id in calls:
        await log(database, call_id, "chat", **said("customer", "hi"))
        await cache.get(call_id)
    assert len(cache) == 2 and calls[0] not in cache  # the least recently needed went first

    ended = await log(database, calls[1], "call_ended", reason="hangup", ended_by="customer")
    cache.observe(ended)
    assert calls[1] not in cache and len(cache) == 1

    await log(database, calls[2], "call_ended", reason="hangup", ended_by="agent")  # on another instance
    state = await cache.get(calls[2])
    assert state.ended and calls[2] not in cache  # read from the log: handed back, not kept

    rebuilt = await cache.get(calls[0])  # pushed out earlier: the log still has it
    assert [t.text for t in rebuilt.turns_before(99)] == ["hi"]


async def test_history_keeps_the_last_turns_only(database: Database) -> None:
    call_id = await new_call(database)
    for n in range(HISTORY_TURNS + 5):
        await log(database, call_id, "chat", **said("customer", f"line {n}"))
    state = await states(database).get(call_id)
    turns = state.turns_before(10_000)
    assert len(turns) == HISTORY_TURNS and turns[-1].text == f"line {HISTORY_TURNS + 4}"
