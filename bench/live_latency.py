"""End of speech -> suggestion on the agent's screen, through a real server (used by assist_eval.py --live).

Each scripted call's customer turns are streamed in real time as a web caller (the name of
the call's demo customer, so the panel resolves); an agent connection accepts the call and
notes when each final transcript and each suggestion arrives. A turn's latency is the time
from the end of its speech in the streamed audio to the arrival of the suggestion that
answers its last final transcript.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from stt_stream import ScriptedCall, Server, add_agents, load_calls, wait_transcription_ready
from websockets.asyncio.client import connect

from earshot.calls.simulate import simulate_web_call

SCENARIO_NAMES = ["Emily Carter", "Oliver Bennett", "Jane Doe", "Marcus Lee", "Hannah Wright", "Daniel Brooks",
                  "Priya Patel", "Robert Nguyen"]  # fmt: skip


@dataclass
class AgentView:
    """What the agent's console received, with monotonic arrival times."""

    finals: dict[int, dict[str, Any]] = field(default_factory=dict)  # seq -> transcript
    suggestions: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    contexts: list[dict[str, Any]] = field(default_factory=list)


async def agent_console(base_url: str, token: str, view: AgentView, ready: asyncio.Event) -> None:
    """Accept every offer, record finals and suggestions, file the wrap-up; runs until cancelled."""
    url = base_url.replace("http://", "ws://") + "/ws/agent"
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "set_availability", "available": True}))
        async for raw in ws:
            arrived = time.monotonic()
            message = json.loads(raw)
            kind = message["type"]
            if kind == "agent_state" and message["status"] == "available":
                ready.set()
            elif kind == "call_offer":
                await ws.send(json.dumps({"type": "accept_offer", "call_id": message["call_id"]}))
            elif kind == "agent_state" and message["status"] == "wrap_up":
                await ws.send(json.dumps({"type": "wrap_up", "call_id": message["call_id"], "disposition": "resolved"}))
            elif kind == "transcript" and message["final"] and message["speaker"] == "customer":
                view.finals[message["seq"]] = message
            elif kind == "suggestion":
                view.suggestions.append((arrived, message))
            elif kind == "customer_context":
                view.contexts.append(message)


def turn_latencies(call: ScriptedCall, view: AgentView, started: float, stream_offset_s: float) -> list[float]:
    """Per turn: from its end of speech to the suggestion answering its last final transcript."""
    latest: dict[int, tuple[float, float]] = {}  # turn -> (end of that final, suggestion arrival)
    for arrived, suggestion in view.suggestions:
        final = view.finals.get(suggestion["answers_seq"])
        if final is None:
            continue
        span = (final["start_ms"] / 1000 - stream_offset_s, final["end_ms"] / 1000 - stream_offset_s)
        overlaps = [min(span[1], t.end) - max(span[0], t.start) for t in call.turns]
        index = int(np.argmax(overlaps))
        if overlaps[index] > 0 and span[1] >= latest.get(index, (-1.0, 0.0))[0]:
            latest[index] = (span[1], arrived)
    return [(arrived - (started + call.turns[i].end)) * 1000 for i, (_, arrived) in sorted(latest.items())]


async def _run(base_url: str, calls: list[ScriptedCall], verbose: bool) -> tuple[list[float], int]:
    token = (await add_agents(base_url, 1))[0]
    view, ready = AgentView(), asyncio.Event()
    console = asyncio.create_task(agent_console(base_url, token, view, ready))
    await ready.wait()
    latencies: list[float] = []
    matched = 0
    for call, name in zip(calls, SCENARIO_NAMES, strict=False):
        view.suggestions.clear()
        view.contexts.clear()
        heard = await simulate_web_call(base_url, call.audio, name=name)
        call_latencies = turn_latencies(call, view, heard.started, heard.stream_offset_ms / 1000)
        matched += any(c["status"] == "matched" for c in view.contexts)
        if verbose:
            print(f"  {call.name}: {len(call_latencies)}/{len(call.turns)} turns answered, ms: "
                  + ", ".join(f"{v:.0f}" for v in call_latencies))  # fmt: skip
        latencies += call_latencies
        await asyncio.sleep(0.5)  # the wrap-up, before the next call is offered
    console.cancel()
    return latencies, matched


def measure_live(port: int, verbose: bool) -> None:
    calls = load_calls(telephony=False)
    server = Server(port)
    try:
        server.wait_ready()
        asyncio.run(wait_transcription_ready(server.base_url))
        latencies, matched = asyncio.run(_run(server.base_url, calls, verbose))
    finally:
        server.stop()
    turns = sum(len(c.turns) for c in calls)
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (float("nan"),) * 2
    print(f"live: end of speech -> suggestion on the agent's WebSocket: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"max {max(latencies, default=float('nan')):.0f} ms ({len(latencies)}/{turns} turns answered; "
          f"callers matched to a customer record: {matched}/{len(calls)})")  # fmt: skip
