"""Hand-built call event logs for the metrics tests: a call is a list of (seconds after queued, type, payload)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import Role, User
from earshot.calls.models import Call, CallStatus
from earshot.metrics.kpi import LoggedFact
from earshot.sessions.log import append_event

Step = tuple[float, str, dict[str, Any]]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def queued(channel: str = "web") -> Step:
    return (0, "call_queued", {"customer_name": "Casey", "channel": channel})


def started(at: float, agent_id: int = 1) -> Step:
    return (at, "call_started", {"agent_id": agent_id, "agent_name": f"Agent {agent_id}"})


def said(at: float, speaker: str, text: str = "hello") -> Step:
    return (at, "chat", {"speaker": speaker, "author": speaker, "text": text})


def heard(at: float, speaker: str, text: str = "hello") -> Step:
    payload = {"speaker": speaker, "utterance_id": uuid.uuid4().hex, "final": True, "text": text,
               "stable_text": text, "start_ms": 0, "end_ms": 1}
    return (at, "transcript", payload)


def sentiment(at: float, score: float) -> Step:
    label = "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"
    payload = {"utterance_seq": 1, "score": score, "label": label, "confidence": 0.9, "trend": score, "trend_delta": 0.0}
    return (at, "sentiment", payload)


def suggestion(at: float, suggestion_id: str, action: str = "track_order") -> Step:
    payload = {"suggestion_id": suggestion_id, "answers_seq": 1, "utterance": "where", "suggestion": "Look it up",
               "reasoning": "asked", "action": action, "confidence": 0.8, "provider": "playbook"}
    return (at, "suggestion", payload)


def feedback(at: float, suggestion_id: str, accepted: bool, agent_id: int = 1) -> Step:
    return (at, "suggestion_feedback", {"suggestion_id": suggestion_id, "accepted": accepted, "agent_id": agent_id})


def ended(at: float, reason: str = "hangup", by: str = "customer") -> Step:
    return (at, "call_ended", {"reason": reason, "ended_by": by})


def wrapped(at: float, disposition: str = "resolved") -> Step:
    return (at, "call_wrapped_up", {"disposition": disposition, "notes": ""})


def disconnected(at: float, speaker: str) -> Step:
    return (at, "party_disconnected", {"speaker": speaker, "grace_seconds": 30})


def reconnected(at: float, speaker: str) -> Step:
    return (at, "party_reconnected", {"speaker": speaker})


def facts_input(steps: list[Step], start: datetime = T0) -> list[LoggedFact]:
    return [LoggedFact(kind, start + timedelta(seconds=at), payload) for at, kind, payload in steps]


async def add_agents(session: AsyncSession, count: int = 3) -> None:
    """Staff accounts with ids 1..count (the per-agent table lists staff members); the caller commits."""
    for agent_id in range(1, count + 1):
        session.add(User(id=agent_id, username=f"agent{agent_id}", display_name=f"Agent {agent_id}",
                         password_hash="x", role=Role.agent))
    await session.flush()


async def add_call(session: AsyncSession, steps: list[Step], start: datetime = T0) -> str:
    """Store a call and its events as the hub would have logged them; the caller commits."""
    call = Call(id=uuid.uuid4().hex, status=CallStatus.ended, channel=steps[0][2].get("channel", "web"),
                customer_name="Casey", customer_token_hash="x", queued_at=start, last_seq=0)
    session.add(call)
    await session.flush()
    for at, kind, payload in steps:
        await append_event(session, call, kind, payload, start + timedelta(seconds=at))
    return call.id
