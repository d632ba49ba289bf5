"""A load run's figures, and its check against the event log the instances wrote.

Lost and duplicated are judged against the database: every call's seqs run 1..n; every chat line
the bench sent and no `error` refused is logged exactly once; no utterance got two sentiments,
two suggestions or two finals; and every party received every logged event it may see, from the
first it received to the call's end (a repeat around a reconnect counts once, as clients apply it).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from typing import Any

from bench.loadgen.link import Tally
from bench.loadgen.run import Outcome
from earshot.calls.protocol import CUSTOMER_VISIBLE_EVENTS

Row = tuple[str, int, str, dict[str, Any]]


async def read_events(database_url: str) -> list[Row]:
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        records = await conn.fetch("SELECT call_id, seq, type, payload FROM call_events")
    finally:
        await conn.close()
    return [(r[0], r[1], r[2], json.loads(r[3]) if isinstance(r[3], str) else r[3]) for r in records]


def check_log(rows: list[Row], tally: Tally) -> dict[str, Any]:
    by_call: dict[str, dict[int, str]] = {}
    repeated_seqs = 0
    chats: Counter[str] = Counter()
    answers: Counter[tuple[str, str, object]] = Counter()
    for call_id, seq, kind, payload in rows:
        events = by_call.setdefault(call_id, {})
        repeated_seqs += seq in events
        events[seq] = kind
        if kind == "chat" and payload.get("client_id"):
            chats[payload["client_id"]] += 1
        elif kind == "suggestion":
            answers[(call_id, kind, payload.get("answers_seq"))] += 1
        elif kind == "sentiment":
            answers[(call_id, kind, payload.get("utterance_seq"))] += 1
        elif kind == "transcript" and payload.get("final"):
            answers[(call_id, kind, payload.get("utterance_id"))] += 1
    unrefused = [cid for cid in tally.sent if cid not in tally.refused]
    missed, repeats = _at_parties(by_call, tally)
    missed_examples = missed[:5]
    return {
        "calls_logged": len(by_call),
        "events_logged": len(rows),
        "seq_gaps": sum(max(events) - len(events) for events in by_call.values()),
        "seq_repeats": repeated_seqs,
        "chat_lost": sum(1 for cid in unrefused if chats[cid] == 0),
        "chat_refused": len(tally.sent) - len(unrefused),
        "chat_duplicated": sum(n - 1 for n in chats.values() if n > 1),
        "chat_duplicated_ids": sorted(cid for cid, n in chats.items() if n > 1)[:5],
        "answers_duplicated": sum(n - 1 for n in answers.values() if n > 1),
        "left_before_the_end": len(tally.left_early),
        "missed_at_parties": len(missed),
        "missed_examples": [f"{call_id[:8]} seq {seq} {kind} at the {receiver}" for call_id, receiver, seq, kind in missed_examples],
        "repeats_at_parties": repeats,  # around reconnects; dropped by seq, as clients do
    }


def _at_parties(by_call: dict[str, dict[int, str]], tally: Tally) -> tuple[list[tuple[str, str, int, str]], int]:
    """Logged events a party should have received and did not (call, receiver, seq, type); repeats it received."""
    missed: list[tuple[str, str, int, str]] = []
    repeats = 0
    for (call_id, receiver), seqs in tally.received.items():
        events = by_call.get(call_id, {})
        end = next((seq for seq, kind in events.items() if kind == "call_ended"), max(events, default=0))
        got = set(seqs)
        if (call_id, receiver) in tally.left_early:
            end = min(end, max(got))
        repeats += len(seqs) - len(got)
        for seq in range(min(got), end + 1):
            kind = events.get(seq)
            visible = kind is not None and (receiver != "customer" or kind in CUSTOMER_VISIBLE_EVENTS)
            if visible and seq not in got:
                missed.append((call_id, receiver, seq, str(kind)))
    return missed, repeats


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _delays(tally: Tally, speaker: str, receiver: str, following: dict[str, float] | None = None) -> list[float]:
    """Send to arrival; with `following`, only lines sent once the receiver followed the call."""
    return [
        tally.arrived[(cid, receiver)] - sent.at
        for cid, sent in tally.sent.items()
        if sent.speaker == speaker and (cid, receiver) in tally.arrived
        and (following is None or sent.at >= following.get(sent.call_id, float("inf")))
    ]


def _following_delays(tally: Tally, following: dict[str, float]) -> list[float]:
    """From the call's start (the customer heard `call_started`) to the receiver following it."""
    return [at - tally.started[call_id] for call_id, at in following.items() if call_id in tally.started]


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{percentile(values, 50) * 1000:.0f} / {percentile(values, 95) * 1000:.0f} / {max(values) * 1000:.0f}"


def summary(outcome: Outcome, log: dict[str, Any], instances: int) -> dict[str, Any]:
    tally = outcome.tally
    mb = 1024 * 1024
    usage = {
        f"earshot{i + 1}": {
            "rss_mb": {when: round(rss / mb) for when, rss in used.rss.items()},
            "cores": round((used.cpu_end - used.cpu_start) / outcome.elapsed, 2),
            **({"killed": True} if used.killed else {}),
        }
        for i, used in enumerate(outcome.usage)
    }
    delivered = sum(1 for (cid, receiver) in tally.arrived if receiver in ("agent", "customer")
                    and receiver != tally.sent[cid].speaker) if tally.sent else 0
    return {
        "instances": instances,
        "seconds": round(outcome.elapsed),
        "calls_made": tally.calls_made,
        "wrapped_up": len(tally.wrapped_up),
        "call_refusals": dict(tally.call_refusals),
        "chats_sent": len(tally.sent),
        "chats_per_s": round(len(tally.sent) / outcome.elapsed, 1),
        "delivered_to_other_party": delivered,
        "delivery_ms_p50_p95_max": {
            "customer_to_agent": _ms(_delays(tally, "customer", "agent")),
            "agent_to_customer": _ms(_delays(tally, "agent", "customer")),
            "customer_to_supervisor": _ms(_delays(tally, "customer", "supervisor")),
            # Lines sent once the receiver follows the call (the agent's accept answered, the
            # supervisor's watch answered); earlier lines wait for that, timed below.
            "customer_to_agent_following": _ms(_delays(tally, "customer", "agent", tally.followed)),
            "customer_to_supervisor_watching": _ms(_delays(tally, "customer", "supervisor", tally.watched)),
        },
        "following_after_start_ms_p50_p95_max": {
            "agent": _ms(_following_delays(tally, tally.followed)),
            "supervisor": _ms(_following_delays(tally, tally.watched)),
        },
        "speech_s": round(tally.audio_s),
        "finals_at_agent": tally.finals,
        "errors": dict(tally.errors),
        "closes": {str(code): n for code, n in tally.closes.items()},
        "killed_at_s": None if outcome.killed_at is None else round(outcome.killed_at, 1),
        "reconnects": len(tally.gaps),
        "failed_reconnects": tally.failed_reconnects,
        "reconnect_gap_ms_p50_p95_max": _ms(tally.gaps),
        "log": log,
        "instances_use": usage,
        "load_average": list(outcome.load),
    }
