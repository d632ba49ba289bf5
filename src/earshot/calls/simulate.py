"""Simulated callers: stream an audio file into a new call in real time and collect transcripts.

Used by `earshot call-sim` (a demo) and by the streaming benchmark. Web callers use the
browser protocol (16 kHz PCM16 frames); phone callers the Twilio Media Streams protocol
(base64 mu-law at 8 kHz), whose transcripts are read from the answering agent's console.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import datetime
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16
from earshot.audio.resample import resample

FRAME_MS = 20


@dataclass
class Heard:
    """A transcript message and when it arrived, in seconds from the start of streaming."""

    at: float
    message: dict[str, Any]


@dataclass
class SimulatedCall:
    call_id: str
    queued_at: float = 0.0  # epoch seconds the server queued the call (its offsets count from there)
    started: float = 0.0  # monotonic time the first audio frame was sent
    started_epoch: float = 0.0
    heard: list[Heard] = field(default_factory=list)

    @property
    def stream_offset_ms(self) -> float:
        """Call offset (as in transcript start_ms/end_ms) at which the streamed audio began."""
        return (self.started_epoch - self.queued_at) * 1000

    def note_started(self, call_started: dict[str, Any]) -> None:
        at = datetime.fromisoformat(call_started["at"].replace("Z", "+00:00")).timestamp()
        self.queued_at = at - call_started["offset_ms"] / 1000

    @property
    def finals(self) -> list[Heard]:
        return [h for h in self.heard if h.message["final"]]

    @property
    def partials(self) -> list[Heard]:
        return [h for h in self.heard if not h.message["final"]]


def _ulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 mu-law encoding of float samples (the phone network's format)."""
    x = np.clip(samples, -1.0, 1.0)
    magnitude = np.log1p(255 * np.abs(x)) / np.log1p(255)
    quantised = np.round(np.sign(x) * magnitude * 127).astype(np.int16)
    codes = np.where(quantised >= 0, 0xFF - quantised, 0x7F + quantised)
    return codes.astype(np.uint8).tobytes()


def phone_frames(audio: np.ndarray) -> list[bytes]:
    """20 ms mu-law frames at 8 kHz of 16 kHz float audio."""
    narrow = resample(audio, SAMPLE_RATE, 8000)
    step = 8000 * FRAME_MS // 1000
    return [_ulaw_encode(narrow[i : i + step]) for i in range(0, len(narrow), step)]


def web_frames(audio: np.ndarray) -> list[bytes]:
    """20 ms PCM16 frames at 16 kHz."""
    step = SAMPLE_RATE * FRAME_MS // 1000
    return [float_to_pcm16(audio[i : i + step]) for i in range(0, len(audio), step)]


async def login(base_url: str, username: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.post("/api/auth/login", json={"username": username, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"login as {username} failed: {response.json().get('detail', response.status_code)}")
    return str(response.json()["token"])


def _ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://").replace("https://", "wss://")


async def answer_calls(base_url: str, token: str, on_ready: asyncio.Event | None = None) -> None:
    """Act as an agent who accepts every offer and files a wrap-up after each call; runs until cancelled."""
    async with connect(_ws_url(base_url) + "/ws/agent", additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "set_availability", "available": True}))
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "agent_state" and message["status"] == "available" and on_ready:
                on_ready.set()
            elif message["type"] == "call_offer":
                await ws.send(json.dumps({"type": "accept_offer", "call_id": message["call_id"]}))
            elif message["type"] == "agent_state" and message["status"] == "wrap_up":
                await ws.send(
                    json.dumps({"type": "wrap_up", "call_id": message["call_id"], "disposition": "resolved"})
                )


async def _collect(ws: ClientConnection, call: SimulatedCall, on_transcript: Callable[[Heard], None] | None) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message.get("type") == "transcript" and message.get("call_id") == call.call_id:
            heard = Heard(time.monotonic() - call.started if call.started else 0.0, message)
            call.heard.append(heard)
            if on_transcript:
                on_transcript(heard)


async def _wait_for(ws: ClientConnection, type_: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if message.get("type") == type_:
            return message


async def _settle(call: SimulatedCall, quiet: float, limit: float = 20.0) -> None:
    """Wait until the last utterance's final has arrived and `quiet` s passed without more, at
    most `limit` s. Nothing heard yet is not settled: on a busy server the first transcript of a
    short clip can come seconds after its last frame."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        last = call.heard[-1] if call.heard else None
        if last is not None and last.message["final"] and time.monotonic() - call.started - last.at >= quiet:
            return


async def _stream(send: Callable[[bytes], Any], frames: list[bytes], call: SimulatedCall) -> None:
    """Send frames at real-time pace (each frame on its own due time, so delays don't accumulate)."""
    call.started, call.started_epoch = time.monotonic(), time.time()
    for index, frame in enumerate(frames):
        delay = call.started + index * FRAME_MS / 1000 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(frame)


async def simulate_web_call(
    base_url: str,
    audio: np.ndarray,
    *,
    name: str = "Simulated caller",
    settle_seconds: float = 2.0,
    answer_timeout: float = 60.0,
    on_transcript: Callable[[Heard], None] | None = None,
) -> SimulatedCall:
    """Queue a web call, wait for an agent, stream `audio`, and return the transcripts heard."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.post("/api/calls", json={"name": name})
        response.raise_for_status()
        body = response.json()
    call = SimulatedCall(body["call_id"])
    url = f"{_ws_url(base_url)}/ws/call/{call.call_id}"
    # The call token rides in the subprotocol list, as the web app sends it: never in a logged URL.
    async with connect(url, subprotocols=[Subprotocol("earshot.v1"), Subprotocol(f"token.{body['token']}")]) as ws:
        call.note_started(await _wait_for(ws, "call_started", answer_timeout))
        collector = asyncio.create_task(_collect(ws, call, on_transcript))
        await ws.send(json.dumps({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE}))
        await _stream(ws.send, web_frames(audio), call)
        await ws.send(json.dumps({"type": "audio_stop"}))
        await _settle(call, settle_seconds)
        await ws.send(json.dumps({"type": "end_call"}))
        await asyncio.sleep(0.2)
        collector.cancel()
    return call


async def simulate_phone_call(
    base_url: str,
    audio: np.ndarray,
    agent_token: str,
    *,
    phone: str = "+15555550100",
    name: str = "Simulated phone caller",
    telephony_token: str = "",
    settle_seconds: float = 2.0,
    answer_timeout: float = 60.0,
    on_transcript: Callable[[Heard], None] | None = None,
) -> SimulatedCall:
    """Place a call over the Twilio Media Streams protocol; transcripts are read as the agent."""
    stream_sid = "MZ" + uuid.uuid4().hex
    agent_url = _ws_url(base_url) + "/ws/agent"
    async with AsyncExitStack() as stack:
        agent = await stack.enter_async_context(
            connect(agent_url, additional_headers={"Authorization": f"Bearer {agent_token}"})
        )
        await agent.send(json.dumps({"type": "set_availability", "available": True}))
        phone_ws = await stack.enter_async_context(connect(_ws_url(base_url) + "/ws/telephony/twilio"))
        await phone_ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        parameters = {"name": name, "phone": phone, **({"token": telephony_token} if telephony_token else {})}
        start = {
            "streamSid": stream_sid,
            "callSid": "CA" + uuid.uuid4().hex,
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await phone_ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": stream_sid}))
        offer = await _wait_for(agent, "call_offer", answer_timeout)
        await agent.send(json.dumps({"type": "accept_offer", "call_id": offer["call_id"]}))
        call = SimulatedCall(offer["call_id"])
        call.note_started(await _wait_for(agent, "call_started", answer_timeout))
        collector = asyncio.create_task(_collect(agent, call, on_transcript))
        sequence = iter(range(2, 10**9))

        async def send_media(frame: bytes) -> None:
            payload = base64.b64encode(frame).decode()
            media = {"track": "inbound", "chunk": "1", "timestamp": "0", "payload": payload}
            await phone_ws.send(json.dumps({"event": "media", "sequenceNumber": str(next(sequence)), "media": media, "streamSid": stream_sid}))

        await _stream(send_media, phone_frames(audio), call)
        await _settle(call, settle_seconds)
        await phone_ws.send(json.dumps({"event": "stop", "sequenceNumber": str(next(sequence)), "streamSid": stream_sid}))
        await asyncio.sleep(0.3)
        collector.cancel()
        # Leave the agent ready for the next call: a call ended by the caller awaits a wrap-up.
        wrap_up = {"type": "wrap_up", "call_id": call.call_id, "disposition": "resolved", "notes": "call-sim"}
        await agent.send(json.dumps(wrap_up))
    return call
