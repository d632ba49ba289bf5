"""Recordings of real calls through the server: both legs, in sync with the transcript, card numbers silenced,
who may fetch or delete them, and a disk that cannot take them."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file
from earshot.config import Settings
from earshot.recordings.encoder import read_recording
from tests.harness import CALLS_AUDIO, RunningServer, WsClient, active_call, ready_server

__all__ = ["ready_server"]

FRAME_S = 0.1
CARD_PHRASE = "My card number is four one one one, one one one one, one one one one, one one one one."


@pytest.fixture
def server_settings(server_settings: Settings, tmp_path: Path) -> Settings:
    return server_settings.model_copy(update={"recording_enabled": True, "recording_dir": tmp_path / "recordings"})


def spoken(text: str, folder: Path) -> np.ndarray:
    """`text` said by espeak-ng, as 16 kHz float32."""
    wav = folder / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True)
    return load_audio_file(wav)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


async def microphone(client: WsClient, audio: np.ndarray) -> None:
    """`audio` in real time as 100 ms PCM16 frames, then `audio_stop`, as the browser sends it."""
    loop = asyncio.get_running_loop()
    await client.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    step, began = int(FRAME_S * SAMPLE_RATE), loop.time()
    for sent, start in enumerate(range(0, len(audio), step), 1):
        await client.conn.send(float_to_pcm16(audio[start : start + step]))
        await asyncio.sleep(max(0.0, began + sent * FRAME_S - loop.time()))
    await client.send({"type": "audio_stop"})


async def fetch(server: RunningServer, who: str | None, call_id: str, **headers: str) -> Any:
    token = await server.login(who) if who else None
    async with server.http(token) as http:
        return await http.get(f"/api/calls/{call_id}/recording", headers=headers)


async def recording_of(server: RunningServer, call_id: str) -> bytes:
    """The finished recording, once the server has closed it after the call ended."""
    for _ in range(300):
        response = await fetch(server, "supervisor", call_id)
        if response.status_code == 200:
            return bytes(response.content)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no recording of {call_id}: {response.status_code} {response.text}")


def rms(channel: np.ndarray, start_ms: int, end_ms: int) -> float:
    piece = channel[start_ms * SAMPLE_RATE // 1000 : end_ms * SAMPLE_RATE // 1000]
    return float(np.sqrt(np.mean(piece**2))) if len(piece) else 0.0


async def test_both_legs_are_recorded_in_sync_with_the_transcript_and_card_numbers_are_silenced(
    ready_server: RunningServer, tmp_path: Path
) -> None:
    call_id, customer, agent = await active_call(ready_server)
    greeting = load_audio_file(CALLS_AUDIO / "d01-refund-headphones" / "01-agent.wav")
    card = spoken(CARD_PHRASE, tmp_path)
    agent_audio = np.concatenate([quiet(0.5), greeting, quiet(1.0)])
    customer_audio = np.concatenate([quiet(len(agent_audio) / SAMPLE_RATE), card, quiet(1.5)])
    await asyncio.gather(microphone(agent, agent_audio), microphone(customer, customer_audio))
    said = {}
    for speaker in ("agent", "customer"):
        said[speaker] = await agent.has_or_expect("transcript", timeout=90, speaker=speaker, final=True)
    assert "[card ending 1111]" in said["customer"]["text"], said["customer"]
    await agent.send({"type": "end_call", "call_id": call_id})
    ended = await agent.has_or_expect("call_ended")

    body = await recording_of(ready_server, call_id)
    file = tmp_path / "got.ogg"
    file.write_bytes(body)
    audio = read_recording(file)
    assert audio.shape[0] == 2
    duration_ms = audio.shape[1] * 1000 // SAMPLE_RATE
    assert said["customer"]["end_ms"] <= duration_ms <= ended["offset_ms"] + 100
    customer_channel, agent_channel = audio

    # The greeting's words start where its transcript says (the VAD keeps 200 ms of lead-in).
    onset_ms = int(np.argmax(np.abs(agent_channel) > 0.05)) * 1000 // SAMPLE_RATE
    assert abs(onset_ms - said["agent"]["start_ms"]) <= 300, (onset_ms, said["agent"])
    assert rms(agent_channel, said["agent"]["start_ms"], said["agent"]["end_ms"]) > 0.02
    # The card number is gone from the file, on both channels.
    span = said["customer"]["start_ms"], said["customer"]["end_ms"]
    assert span[1] - span[0] > 2000
    assert rms(customer_channel, *span) < 0.001 and rms(agent_channel, *span) < 0.001
    assert float(np.abs(customer_channel).max()) < 0.01  # the card phrase was all the customer said


async def test_who_may_fetch_or_delete_a_recording(ready_server: RunningServer) -> None:
    call_id, customer, agent = await active_call(ready_server)
    tone = (0.3 * np.sin(np.arange(SAMPLE_RATE) * 2 * np.pi * 440 / SAMPLE_RATE)).astype(np.float32)
    await microphone(agent, tone)
    await agent.send({"type": "end_call", "call_id": call_id})
    size = len(await recording_of(ready_server, call_id))

    for who, status in [("supervisor", 200), ("admin", 200), ("agent1", 200), ("agent2", 404), (None, 401)]:
        assert (await fetch(ready_server, who, call_id)).status_code == status, who
    async with ready_server.http() as http:  # a customer's call token is no login
        _, token = await ready_server.start_call("Nosy Customer")
        http.headers["Authorization"] = f"Bearer {token}"
        assert (await http.get(f"/api/calls/{call_id}/recording")).status_code == 401

    # Players seek with Range requests.
    ranged = await fetch(ready_server, "agent1", call_id, Range="bytes=10-109")
    assert ranged.status_code == 206 and len(ranged.content) == 100
    assert ranged.headers["content-range"] == f"bytes 10-109/{size}" and ranged.headers["content-type"] == "audio/ogg"

    async def delete(who: str) -> int:
        async with ready_server.http(await ready_server.login(who)) as http:
            return (await http.delete(f"/api/calls/{call_id}/recording")).status_code

    assert await delete("supervisor") == 403 and await delete("agent1") == 403
    assert await delete("admin") == 204
    assert (await fetch(ready_server, "supervisor", call_id)).status_code == 404
    assert await delete("admin") == 404
    async with ready_server.http() as http:
        assert (await http.get("/api/recordings/policy")).json() == {"enabled": True, "retention_days": 90}


@pytest.fixture
def unwritable(server_settings: Settings, tmp_path: Path) -> Settings:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the recordings folder should be")
    server_settings.recording_dir = blocker / "recordings"
    return server_settings


async def test_a_recording_that_cannot_be_written_leaves_the_call_working_and_tells_staff(
    unwritable: Settings, ready_server: RunningServer
) -> None:
    call_id, customer, agent = await active_call(ready_server)
    await microphone(customer, quiet(0.5))
    failed = await agent.expect("recording_failed", timeout=10)
    assert "NotADirectory" in failed["reason"] or "Not a directory" in failed["reason"]
    await customer.send({"type": "chat", "text": "Can you still hear me?"})
    await agent.expect("chat", text="Can you still hear me?")
    await microphone(customer, quiet(0.3))  # more audio after the failure is simply not recorded
    await agent.send({"type": "end_call", "call_id": call_id})
    await customer.expect("call_ended")
    assert (await fetch(ready_server, "supervisor", call_id)).status_code == 404
