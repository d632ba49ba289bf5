"""Rate limits on a live WebSocket: an open microphone never blocks chat, mute, hang-up or wrap-up,
while flooding audio or messages is still refused and the connection survives."""

from __future__ import annotations

import asyncio
import csv

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file
from tests.harness import CALLS_AUDIO, SHARED, RunningServer, WsClient, active_call
from tests.harness import ready_server  # noqa: F401 (a fixture: pytest finds it by this name here)

FRAME = SAMPLE_RATE // 50  # 20 ms, what the browser's AudioWorklet sends
REAL_SPEECH = SHARED / "speech-real" / "audio"


def real_speech(*names: str, gap: float = 0.6) -> np.ndarray:
    """Recordings of real people, one after another with a pause between them."""
    silence = np.zeros(int(gap * SAMPLE_RATE), np.float32)
    pieces = []
    for name in names:
        pieces += [load_audio_file(REAL_SPEECH / f"{name}.flac"), silence]
    return np.concatenate(pieces)


def agent_turn(call: str, number: int) -> np.ndarray:
    with (CALLS_AUDIO / "manifest.tsv").open() as handle:
        row = next(r for r in csv.DictReader(handle, delimiter="\t") if r["call"] == call and r["turn"] == str(number))
    return load_audio_file(CALLS_AUDIO / row["wav16k"])


async def microphone(client: WsClient, audio: np.ndarray, stop: asyncio.Event, mute_at: float | None = None) -> int:
    """Stream 20 ms PCM16 frames in real time (looping) until `stop`, like the browser does; optionally
    mute (`audio_stop`) for 0.3 s at `mute_at` seconds in. Returns the frames sent."""
    loop = asyncio.get_running_loop()
    await client.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    began, sent = loop.time(), 0
    while not stop.is_set():
        if mute_at is not None and sent * 0.02 >= mute_at:
            mute_at = None
            await client.send({"type": "audio_stop"})
            await asyncio.sleep(0.3)
            await client.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
            began = loop.time() - sent * 0.02
        start = (sent * FRAME) % len(audio)
        await client.conn.send(float_to_pcm16(audio[start : start + FRAME]))
        sent += 1
        await asyncio.sleep(max(0.0, began + sent * 0.02 - loop.time()))
    return sent


async def test_live_microphones_leave_chat_mute_hang_up_and_wrap_up_working(ready_server: RunningServer) -> None:
    call_id, customer, agent = await active_call(ready_server)
    stop = asyncio.Event()
    speech = real_speech("arctic-aew-a0001", "arctic-aew-a0002", "arctic-aew-a0003")
    mics = [
        asyncio.create_task(microphone(customer, speech, stop, mute_at=4.0)),
        asyncio.create_task(microphone(agent, agent_turn("d01-refund-headphones", 3), stop)),
    ]
    try:
        # Both talk for eight seconds (400 audio frames each), chatting all the while.
        sent: list[str] = []
        for i in range(16):
            await asyncio.sleep(0.5)
            who, client = ("customer", customer) if i % 2 == 0 else ("agent", agent)
            client_id = f"{who}-{i}"
            await client.send({"type": "chat", "text": f"line {i} from the {who}", "client_id": client_id})
            sent.append(client_id)
        await customer.send({"type": "ping"})
        await customer.has_or_expect("pong")
        for client_id in sent:
            for party in (customer, agent):
                echo = await party.has_or_expect("chat", client_id=client_id)
                assert echo["speaker"] == client_id.split("-")[0]
        heard = await agent.has_or_expect("transcript", speaker="customer", timeout=20)
        assert heard["text"].strip(), "the customer's microphone was heard, not dropped"

        # The agent hangs up mid-sentence and files the wrap-up at once.
        await agent.send({"type": "end_call", "call_id": call_id})
        await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": "refund sent"})
        await customer.has_or_expect("call_ended", ended_by="agent")
        await agent.has_or_expect("call_ended", ended_by="agent")
        wrapped = await agent.has_or_expect("call_wrapped_up")
        assert wrapped["disposition"] == "resolved"
        await agent.has_or_expect("agent_state", status="available")
    finally:
        stop.set()
        frames = await asyncio.gather(*mics)
    assert min(frames) >= 350  # eight seconds of 20 ms frames each, less the mute
    # No `error` reached either party: the harness fails the test on any it did not expect.


async def test_flooding_audio_is_dropped_with_one_notice_and_chat_still_works(server: RunningServer) -> None:
    _call_id, customer, agent = await active_call(server)
    await customer.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    frame = bytes(FRAME * 2)
    with customer.allow_errors("rate_limited"):
        for _ in range(1500):  # 30 s of audio as fast as the socket takes it
            await customer.conn.send(frame)
        refused = await customer.expect("error", code="rate_limited")
        assert refused["ref_type"] == "audio"
        assert "audio" in refused["message"]
        await customer.send({"type": "chat", "text": "can you still read me?", "client_id": "after-flood"})
        await agent.expect("chat", client_id="after-flood")
        await customer.has_or_expect("chat", client_id="after-flood")
        await customer.drain(0.5)
    notices = [m for m in customer.seen if m["type"] == "error"]
    assert len(notices) == 1, f"told once, not once per dropped frame: {notices}"


async def test_flooding_messages_is_refused_by_name_and_the_connection_survives(server: RunningServer) -> None:
    _call_id, customer, agent = await active_call(server)
    ids = [f"flood-{i}" for i in range(80)]
    with agent.allow_errors("rate_limited"):
        for client_id in ids:
            await agent.send({"type": "chat", "text": "spam", "client_id": client_id})
        # Each line is either accepted (its echo) or refused by name (an error naming its client_id).
        outcome: dict[str, str] = {}
        while len(outcome) < len(ids):
            message = await agent.recv(timeout=30)
            if message["type"] == "chat" and message["client_id"] in ids:
                outcome[message["client_id"]] = "accepted"
            elif message["type"] == "error":
                assert (message["code"], message["ref_type"]) == ("rate_limited", "chat")
                outcome[message["ref_id"]] = "refused"
    refused = [client_id for client_id, result in outcome.items() if result == "refused"]
    assert 10 <= len(refused) <= 35, f"a burst of 50 passes, the rest is refused: {len(refused)} refused"
    await asyncio.sleep(0.5)  # the budget refills at 10 messages a second
    await agent.send({"type": "ping"})
    await agent.expect("pong")
    await customer.send({"type": "chat", "text": "the customer was never limited", "client_id": "customer-1"})
    await agent.expect("chat", client_id="customer-1")
