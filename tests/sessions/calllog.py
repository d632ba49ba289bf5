"""Hand-built call logs for the sessions tests: a call is a list of (ms after queued, type, payload)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import Call, CallStatus
from earshot.calls.protocol import LoggedEvent, call_event_adapter
from earshot.sessions.log import append_event

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
Step = tuple[int, str, dict[str, Any]]


def said(ms: int, speaker: str, text: str, *, chat: bool = False) -> Step:
    if chat:
        return (ms, "chat", {"speaker": speaker, "author": speaker, "text": text})
    payload = {"speaker": speaker, "utterance_id": f"u{ms}", "final": True, "text": text, "stable_text": text,
               "start_ms": ms, "end_ms": ms + 1500}  # fmt: skip
    return (ms + 1600, "transcript", payload)


def mood(ms: int, score: float, trend: float) -> Step:
    label = "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"
    payload = {"utterance_seq": 1, "score": score, "label": label, "confidence": 0.9, "trend": trend, "trend_delta": 0.0}
    return (ms, "sentiment", payload)


def suggestion(ms: int, suggestion_id: str, action: str, utterance: str, text: str) -> Step:
    payload = {"suggestion_id": suggestion_id, "answers_seq": 1, "utterance": utterance, "suggestion": text,
               "reasoning": "", "action": action, "confidence": 0.8, "provider": "playbook"}  # fmt: skip
    return (ms, "suggestion", payload)


LATE_PARCEL: list[Step] = [
    (0, "call_queued", {"customer_name": "Oliver Bennett", "channel": "web"}),
    (4000, "call_started", {"agent_id": 2, "agent_name": "Alex Agent"}),
    said(5000, "agent", "Hello, how can I help?"),
    said(9000, "customer", "My order 20417 is two weeks late and I am furious."),
    mood(10700, -0.72, -0.72),
    (10750, "sentiment_alert", {"utterance_seq": 4, "score": -0.72, "trend": -0.72, "reason": "very negative"}),
    suggestion(10800, "s1", "empathize", "My order 20417 is two weeks late", "Apologise for the delay."),
    suggestion(10900, "s2", "track_order", "My order 20417 is two weeks late and I am furious.",
               "Check order 20417 with the carrier."),
    (12000, "suggestion_feedback", {"suggestion_id": "s2", "accepted": True, "agent_id": 2}),
    said(15000, "agent", "I see it is stuck at the depot; I have opened a trace.", chat=True),
    said(20000, "customer", "Thank you, that helps."),
    mood(21700, 0.4, -0.1),
    (30000, "call_ended", {"reason": "hangup", "ended_by": "agent"}),
]


def build(steps: list[Step], call_id: str = "c" * 32) -> list[LoggedEvent]:
    return [
        call_event_adapter.validate_python(
            {**payload, "type": kind, "call_id": call_id, "seq": seq, "at": T0 + timedelta(milliseconds=ms), "offset_ms": ms}
        )
        for seq, (ms, kind, payload) in enumerate(steps, 1)
    ]


async def store(
    session: AsyncSession, steps: list[Step], *, call_id: str, agent_id: int | None = None,
    queued_at: datetime = T0, customer_name: str = "Oliver Bennett", channel: str = "web",
) -> Call:
    """Write a call and its log as the hub would have; the caller commits."""
    ended = next((p for _, kind, p in steps if kind == "call_ended"), None)
    wrapped = next((p for _, kind, p in steps if kind == "call_wrapped_up"), None)
    call = Call(id=call_id, status=CallStatus.ended if ended else CallStatus.active, channel=channel,
                customer_name=customer_name, customer_token_hash="x", agent_id=agent_id, queued_at=queued_at,
                end_reason=ended["reason"] if ended else None, disposition=wrapped["disposition"] if wrapped else None,
                last_seq=0)  # fmt: skip
    session.add(call)
    await session.flush()
    for ms, kind, payload in steps:
        await append_event(session, call, kind, payload, queued_at + timedelta(milliseconds=ms))
    return call


def earshot_cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir), "EARSHOT_DATABASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "earshot", *args], env=env, capture_output=True, text=True, timeout=60)
