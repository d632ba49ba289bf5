"""The people of a load run: callers who chat (some speak), agents who answer, supervisors who watch.

Every socket goes through the balancer as a `Link`, so when an instance dies each party comes back
on another and resumes. Callers chat every `CHAT_INTERVAL_S`; agents answer every second line,
wrap each call up and take the next; supervisors each watch their share of the live calls.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.loadgen.link import Link, Sent, Tally
from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file

CHAT_INTERVAL_S = 2.0
FRAME_S = 0.02  # 20 ms frames, as the browser's AudioWorklet sends
PAUSE_S = 1.0  # silence between two recordings, so each is an utterance of its own
STARTED_WITHIN_S = 60.0
ENDED_WITHIN_S = 20.0


def speech_frames(folder: Path) -> list[bytes]:
    """Every recording in `folder` (speech-real's FLACs) as 20 ms PCM16 frames, a pause after each."""
    step = int(SAMPLE_RATE * FRAME_S)
    silence = np.zeros(int(SAMPLE_RATE * PAUSE_S), dtype=np.float32)
    frames: list[bytes] = []
    for path in sorted(folder.glob("*.flac")):
        audio = np.concatenate([load_audio_file(path), silence])
        frames += [float_to_pcm16(audio[i : i + step]) for i in range(0, len(audio) - step + 1, step)]
    if not frames:
        raise FileNotFoundError(f"no .flac recordings in {folder}")
    return frames


@dataclass
class Crowd:
    """What every party of a run shares: where to connect, the tally, the clock."""

    base_url: str
    tally: Tally
    deadline: float  # monotonic: callers make no new call after this
    http: httpx.AsyncClient
    stopping: bool = False  # set at the end: agents stop asking to be offered calls

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://")


async def caller(crowd: Crowd, slot: int, call_seconds: float, speech: list[bytes] | None) -> None:
    """One caller's calls, one after the other, until the deadline."""
    await asyncio.sleep(random.uniform(0, CHAT_INTERVAL_S))
    number = 0
    while time.monotonic() < crowd.deadline:
        until = min(crowd.deadline, time.monotonic() + call_seconds)
        if not await _call(crowd, slot, number, until, speech):
            await asyncio.sleep(CHAT_INTERVAL_S)  # told busy: try again a little later
        number += 1


async def _start_call(crowd: Crowd, slot: int) -> dict[str, Any] | None:
    for _ in range(20):  # a request an instance died under is answered 502: ask again
        try:
            response = await crowd.http.post("/api/calls", json={"name": f"Load Caller {slot}"})
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        if response.status_code == 201:
            crowd.tally.calls_made += 1
            return dict(response.json())
        crowd.tally.call_refusals[response.status_code] += 1
        if response.status_code not in (502, 504):
            return None
        await asyncio.sleep(0.5)
    return None


async def _call(crowd: Crowd, slot: int, number: int, until: float, speech: list[bytes] | None) -> bool:
    """One call: chat until `until` (speaking too, with `speech`), then hang up. False if refused."""
    body = await _start_call(crowd, slot)
    if body is None:
        return False
    call_id = body["call_id"]
    started, ended = asyncio.Event(), asyncio.Event()

    async def handle(message: dict[str, Any]) -> None:
        if message["type"] == "call_started":
            crowd.tally.started.setdefault(call_id, time.monotonic())
            started.set()
        elif message["type"] == "call_ended":
            ended.set()

    link = Link(
        crowd.tally,
        "customer",
        lambda: f"{crowd.ws_url}/ws/call/{call_id}?last_seq={link.highest.get(call_id, 0)}",
        handle,
        subprotocols=["earshot.v1", f"token.{body['token']}"],
    )
    await link.open()
    try:
        await asyncio.wait_for(started.wait(), STARTED_WITHIN_S)
    except TimeoutError:
        until = time.monotonic()  # never answered: hang up at once
    talking = asyncio.create_task(_speak(crowd.tally, link, speech, until)) if speech and started.is_set() else None
    line = 0
    while time.monotonic() < until:
        client_id = f"c{slot}.{number}.{line}"
        text = f"caller {slot} call {number} line {line}"
        crowd.tally.sent[client_id] = Sent(time.monotonic(), call_id, "customer", text)
        await link.chat(call_id, text, client_id)
        line += 1
        await asyncio.sleep(min(CHAT_INTERVAL_S, max(0.0, until - time.monotonic())))
    if talking is not None:
        await talking
    await _hang_up(link, ended)
    if not ended.is_set():
        crowd.tally.left_early.add((call_id, "customer"))
    await link.close()
    return True


async def _hang_up(link: Link, ended: asyncio.Event) -> None:
    """`end_call` until `call_ended` arrives (a hang-up sent to an instance that died is sent again)."""
    give_up = time.monotonic() + ENDED_WITHIN_S
    while not ended.is_set() and time.monotonic() < give_up:
        await link.send({"type": "end_call"})
        try:
            await asyncio.wait_for(ended.wait(), 3.0)
        except TimeoutError:
            continue


async def _speak(tally: Tally, link: Link, frames: list[bytes], until: float) -> None:
    """Stream the recordings in real time, as a microphone would, from a random place in them."""
    await link.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    start = time.monotonic()
    first = random.randrange(len(frames))
    index = 0
    while (due := start + index * FRAME_S) < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        # A microphone's audio while the socket is down is gone, as it would be in a browser.
        if await link.send(frames[(first + index) % len(frames)]):
            tally.audio_s += FRAME_S
        index += 1


async def agent(crowd: Crowd, token: str) -> Link:
    """An agent's console: accept every offer, answer every second line, wrap up, take the next call."""
    tally = crowd.tally
    current: dict[str, str | None] = {"call_id": None}
    accepted: dict[str, int] = {}  # call_id -> the socket (generation) that accepted it

    async def accept(call_id: str) -> None:
        if accepted.get(call_id) != link.generation:  # once per socket: a second is a `conflict`
            accepted[call_id] = link.generation
            await link.send({"type": "accept_offer", "call_id": call_id})

    def url() -> str:
        call_id = current["call_id"]
        after = f"?last_seq={link.highest.get(call_id, 0)}" if call_id else ""
        return f"{crowd.ws_url}/ws/agent{after}"

    async def handle(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "agent_state":
            status, current["call_id"], current["status"] = message["status"], message.get("call_id"), message["status"]
            link.resumed_by = "resumed" if current["call_id"] else "agent_state"
            if status == "unavailable" and not crowd.stopping:
                await link.send({"type": "set_availability", "available": True})
            elif status == "offered":  # after a reconnect the state names the offer; no new call_offer comes
                await accept(message["call_id"])
            elif status == "in_call" and crowd.stopping:
                await link.send({"type": "end_call", "call_id": message["call_id"]})
            elif status == "wrap_up":
                tally.wrapped_up.add(message["call_id"])
                await link.send({"type": "wrap_up", "call_id": message["call_id"], "disposition": "resolved"})
        elif kind == "call_offer":
            await accept(message["call_id"])
        elif kind == "resumed":
            tally.followed.setdefault(message["call_id"], time.monotonic())
        elif kind == "chat" and message["speaker"] == "customer" and _even_line(message.get("client_id")):
            reply_id = f"a{message['client_id']}"
            tally.sent[reply_id] = Sent(time.monotonic(), message["call_id"], "agent", f"reply to {message['client_id']}")
            await link.chat(message["call_id"], tally.sent[reply_id].text, reply_id)
        elif kind == "transcript" and message["final"] and message["speaker"] == "customer":
            tally.finals += 1

    link = Link(tally, "agent", url, handle, headers={"Authorization": f"Bearer {token}"})
    link.resumed_by = "agent_state"
    link.current = current
    await link.open()
    return link


async def hang_up_leftovers(agents: list[Link]) -> None:
    """At the end, agents end the calls no caller of the bench hangs up: calls whose start was
    answered 502 (an instance died under the request) but happened, and calls offered too late."""
    for link in agents:
        if link.current.get("status") == "in_call" and (call_id := link.current.get("call_id")) is not None:
            await link.send({"type": "end_call", "call_id": call_id})


def _even_line(client_id: str | None) -> bool:
    return client_id is not None and int(client_id.rsplit(".", 1)[1]) % 2 == 0


async def supervisor(crowd: Crowd, token: str, index: int, of: int) -> Link:
    """A supervisor who watches every live call whose id falls to them (`index` of `of` supervisors)."""
    watching: set[str] = set()
    done: set[str] = set()

    async def handle(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "hello":
            # A new socket follows nothing yet: watch again what the old one watched, ended
            # meanwhile or not (its history comes again; repeats are dropped by seq).
            for call_id in watching:
                await link.send({"type": "watch", "call_id": call_id})
        elif kind == "live_calls":
            for call in message["calls"]:
                call_id = call["call_id"]
                if int(call_id[:8], 16) % of == index and call_id not in watching and call_id not in done:
                    watching.add(call_id)
                    await link.send({"type": "watch", "call_id": call_id})
        elif kind == "resumed" and message["call_id"] in watching:
            crowd.tally.watched.setdefault(message["call_id"], time.monotonic())
        elif kind == "call_ended":
            done.add(message["call_id"])
            watching.discard(message["call_id"])
            await link.send({"type": "unwatch", "call_id": message["call_id"]})

    link = Link(crowd.tally, "supervisor", lambda: f"{crowd.ws_url}/ws/supervisor", handle,
                headers={"Authorization": f"Bearer {token}"})
    link.resumed_by = "live_calls"
    await link.open()
    return link
