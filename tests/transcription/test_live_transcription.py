"""Live speech through the real server and the real model: partials, finals, both sides, phone."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
from typing import Any

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file
from earshot.calls.simulate import phone_frames
from earshot.transcription.wer import wer
from tests.harness import CALLS_AUDIO, RunningServer, WsClient, active_call
from tests.harness import ready_server  # noqa: F401 (a fixture: pytest finds it by this name here)

CALLS = CALLS_AUDIO
FRAME = SAMPLE_RATE // 50  # 20 ms


def turn(call: str, number: int) -> tuple[np.ndarray, str]:
    with (CALLS / "manifest.tsv").open() as handle:
        row = next(r for r in csv.DictReader(handle, delimiter="\t") if r["call"] == call and r["turn"] == str(number))
    return load_audio_file(CALLS / row["wav16k"]), row["text"]


def padded(audio: np.ndarray, lead: float = 0.4, tail: float = 1.2) -> np.ndarray:
    silence = np.zeros(int(lead * SAMPLE_RATE), np.float32)
    return np.concatenate([silence, audio, np.zeros(int(tail * SAMPLE_RATE), np.float32)])


async def stream(client: WsClient, audio: np.ndarray, speed: float = 2.0) -> None:
    """Send 20 ms PCM16 frames at `speed` times real time."""
    await client.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    for start in range(0, len(audio), FRAME):
        await client.conn.send(float_to_pcm16(audio[start : start + FRAME]))
        await asyncio.sleep(0.02 / speed)


async def transcripts_until_final(client: WsClient, timeout: float = 30) -> list[dict[str, Any]]:
    seen = []
    while True:
        message = await client.expect("transcript", timeout=timeout)
        seen.append(message)
        if message["final"]:
            return seen


async def test_customer_speech_reaches_agent_as_partials_then_final(ready_server: RunningServer) -> None:
    audio, reference = turn("d01-refund-headphones", 2)
    call_id, customer, agent = await active_call(ready_server)
    sender = asyncio.create_task(stream(customer, padded(audio)))
    messages = await transcripts_until_final(agent)
    await sender

    partials, final = messages[:-1], messages[-1]
    assert partials, "partials arrive while the customer speaks"
    assert final["speaker"] == "customer" and final["seq"] is not None
    assert wer(reference, final["text"]) <= 0.4, final["text"]  # tiny.en hears "I bought" as "I'm all to"
    assert final["start_ms"] < final["end_ms"]
    stable = ""
    for message in partials:
        assert message["utterance_id"] == final["utterance_id"]
        assert message["stable_text"].startswith(stable), "a stable prefix never changes once sent"
        assert message["text"].startswith(message["stable_text"])
        stable = message["stable_text"]
    assert final["utterance_id"] == partials[0]["utterance_id"]
    assert all(p["seq"] is None for p in partials), "partials are not logged"

    customer_final = (await transcripts_until_final(customer))[-1]
    assert customer_final["text"] == final["text"], "the customer sees their own words too"
    async with ready_server.http(await ready_server.login("supervisor")) as http:
        events = (await http.get(f"/api/calls/{call_id}/events")).json()
    logged = [e for e in events if e["type"] == "transcript"]
    assert [e["text"] for e in logged] == [final["text"]] and all(e["final"] for e in logged)


async def test_agent_speech_is_labelled_agent_and_reaches_supervisor(ready_server: RunningServer) -> None:
    audio, reference = turn("d01-refund-headphones", 3)
    call_id, customer, agent = await active_call(ready_server)
    supervisor = await ready_server.ws("/ws/supervisor", token=await ready_server.login("supervisor"))
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed")
    await stream(agent, padded(audio))
    final = (await transcripts_until_final(customer))[-1]
    assert final["speaker"] == "agent" and wer(reference, final["text"]) <= 0.4
    watched = (await transcripts_until_final(supervisor))[-1]
    assert watched["text"] == final["text"]


@pytest.mark.parametrize("noise", ["silence", "white_noise"])
async def test_silence_and_noise_yield_no_transcript(ready_server: RunningServer, noise: str) -> None:
    _call_id, customer, agent = await active_call(ready_server)
    rng = np.random.default_rng(7)
    audio = np.zeros(3 * SAMPLE_RATE, np.float32)
    if noise == "white_noise":
        audio = (rng.standard_normal(3 * SAMPLE_RATE) * 0.05).astype(np.float32)
    await stream(customer, audio, speed=4)
    await customer.send({"type": "audio_stop"})
    await agent.nothing_of("transcript", within=2.0)


async def test_phone_caller_is_queued_and_transcribed_over_twilio_protocol(ready_server: RunningServer) -> None:
    audio, reference = turn("d03-password", 2)
    agent = await ready_server.agent("agent2")
    phone = await ready_server.ws("/ws/telephony/twilio")
    await phone.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    start = {
        "streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound"],
        "customParameters": {"name": "Jane Doe", "phone": "+13125550103"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    await phone.send({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": "MZ1"})
    offer = await agent.expect("call_offer")
    assert (offer["customer_name"], offer["channel"]) == ("Jane Doe", "phone")
    await agent.send({"type": "accept_offer", "call_id": offer["call_id"]})
    await agent.expect("call_started")
    for number, frame in enumerate(phone_frames(padded(audio)), start=2):
        media = {"track": "inbound", "chunk": str(number), "timestamp": str(number * 20), "payload": base64.b64encode(frame).decode()}
        await phone.send({"event": "media", "sequenceNumber": str(number), "media": media, "streamSid": "MZ1"})
        await asyncio.sleep(0.01)
    final = (await transcripts_until_final(agent))[-1]
    assert final["speaker"] == "customer" and wer(reference, final["text"]) <= 0.3, final["text"]
    await phone.send({"event": "stop", "sequenceNumber": "999", "streamSid": "MZ1"})
    ended = await agent.expect("call_ended")
    assert (ended["reason"], ended["ended_by"]) == ("hangup", "customer")


@pytest.mark.parametrize(
    ("first", "frame", "code"),
    [
        (None, b"\x01\x02\x03", "invalid"),  # odd length for PCM16
        (None, b"\x00" * 40000, "too_large"),
        ({"type": "audio_start", "format": "pcm16", "sample_rate": 8000}, None, "invalid"),
        ({"type": "audio_start", "format": "mp3", "sample_rate": 16000}, None, "invalid"),
    ],
)
async def test_bad_audio_gets_an_error_and_the_call_survives(
    server: RunningServer, first: dict[str, Any] | None, frame: bytes | None, code: str
) -> None:
    call_id, customer, agent = await active_call(server)
    if first is not None:
        await customer.send(first)
    if frame is not None:
        await customer.conn.send(frame)
    assert (await customer.expect("error"))["code"] == code
    await customer.send({"type": "chat", "text": "can you hear me?"})
    assert (await agent.expect("chat"))["text"] == "can you hear me?"


async def test_audio_before_an_agent_answers_is_refused_once(server: RunningServer) -> None:
    _call_id, _token, customer = await server.customer()
    for _ in range(5):
        await customer.conn.send(b"\x00\x00" * FRAME)
    error = await customer.expect("error")
    assert error["code"] == "conflict"
    await customer.nothing_of("error", within=0.5)


async def test_malformed_twilio_messages_do_not_break_the_stream(server: RunningServer) -> None:
    phone = await server.ws("/ws/telephony/twilio")
    await phone.send("not json")
    await phone.send(json.dumps({"event": "media", "media": {"payload": "!!!"}}))
    start = {"customParameters": {"name": "Ray"}, "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000}}
    await phone.send({"event": "start", "start": start})
    agent = await server.agent("agent1")
    assert (await agent.expect("call_offer"))["customer_name"] == "Ray"
