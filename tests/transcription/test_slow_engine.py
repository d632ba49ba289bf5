"""A slow speech-to-text engine delays transcripts, never the call: chat stays instant."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from earshot.config import Settings
from tests.harness import RunningServer, serve_in_thread
from tests.transcription.test_live_transcription import (
    active_call,
    padded,
    stream,
    turn,
)
from tests.transcription.test_transcription_openai import (
    API_KEY,
    SLOW_SECONDS,
    _fake_openai,
)


@pytest.fixture(scope="module")
def slow_openai() -> Iterator[str]:
    with serve_in_thread(_fake_openai([])) as base_url:
        yield f"{base_url}/slow/v1"


@pytest.fixture
def server_settings(server_settings: Settings, slow_openai: str) -> Settings:
    return server_settings.model_copy(
        update={"stt_engine": "openai", "stt_openai_base_url": slow_openai, "stt_openai_api_key": API_KEY}
    )


async def test_chat_is_not_delayed_by_a_slow_engine(server: RunningServer) -> None:
    audio, _ = turn("d02-where-is-order", 3)
    _call_id, customer, agent = await active_call(server)
    sender = asyncio.create_task(stream(customer, padded(audio), speed=2))
    await asyncio.sleep(1.5)  # speech is being decoded (each decode takes SLOW_SECONDS)
    started = time.monotonic()
    await agent.send({"type": "chat", "text": "Still with you"})
    await customer.expect("chat", text="Still with you")
    assert time.monotonic() - started < 0.5
    await sender
    final = await customer.expect("transcript", timeout=SLOW_SECONDS * 6, final=True)
    assert final["text"] == "I would like a refund."  # the hallucinated "Thanks for watching!" is filtered
