"""The OpenAI-compatible engine against a real local server that speaks the same API.

The server is a small FastAPI app on a free port, run by uvicorn in a thread. Its path picks
a behaviour: `/ok/v1` answers like OpenAI, `/slow/v1` sleeps past the client's timeout,
`/broken/v1` fails with 500, `/garbage/v1` answers 200 with a body that is not JSON.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import wave
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI, Form, Header, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from earshot.config import Settings
from earshot.transcription import SttError, create_engine
from earshot.transcription.filters import clean
from earshot.transcription.openai_api import OpenAITranscriptionEngine
from tests.harness import free_port, invalid_api_key, serve_in_thread

API_KEY = "sk-test-123"
SLOW_SECONDS = 2.0


def _fake_openai(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/{mode}/v1/audio/transcriptions")
    async def transcriptions(
        mode: str,
        file: UploadFile,
        model: str = Form(),
        response_format: str = Form("json"),
        language: str | None = Form(None),
        prompt: str | None = Form(None),
        temperature: float = Form(0.0),
        authorization: str | None = Header(None),
    ) -> Response:
        if authorization != f"Bearer {API_KEY}":
            return invalid_api_key()
        with wave.open(io.BytesIO(await file.read())) as wav:
            params = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            duration = wav.getnframes() / wav.getframerate()
        received.append(
            {"mode": mode, "model": model, "format": response_format, "language": language, "prompt": prompt,
             "temperature": temperature, "filename": file.filename, "wav": params}
        )  # fmt: skip
        if mode == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if mode == "broken":
            return JSONResponse({"error": {"message": "The server had an error"}}, status_code=500)
        if mode == "garbage":
            return PlainTextResponse("<html>502 Bad Gateway</html>")
        text = "I would like a refund. Thanks for watching!"
        if response_format != "verbose_json":
            return JSONResponse({"text": text})
        segments = [
            {"id": 0, "seek": 0, "start": 0.0, "end": 1.5, "text": " I would like a refund.", "tokens": [1],
             "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 0.9, "no_speech_prob": 0.05},
            {"id": 1, "seek": 0, "start": 1.5, "end": duration, "text": " Thanks for watching!", "tokens": [2],
             "temperature": 0.0, "avg_logprob": -1.3, "compression_ratio": 0.8, "no_speech_prob": 0.9},
        ]  # fmt: skip
        return JSONResponse(
            {
                "task": "transcribe",
                "language": "english",
                "duration": duration,
                "text": text,
                "segments": segments,
            }
        )

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(base URL, requests the server received) of the fake API, running for this module."""
    received: list[dict[str, Any]] = []
    with serve_in_thread(_fake_openai(received)) as base_url:
        yield base_url, received


def _speech(seconds: float = 2.0) -> np.ndarray:
    return (0.2 * np.sin(np.arange(int(16_000 * seconds)) * 0.05)).astype(np.float32)


def _engine(base: str, mode: str = "ok", key: str = API_KEY, **kwargs: Any) -> OpenAITranscriptionEngine:
    return OpenAITranscriptionEngine(f"{base}/{mode}/v1/", key, **{"model": "whisper-1", "timeout": 5.0, **kwargs})


def test_verbose_json_becomes_segments_with_confidences(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, received = server
    result = _engine(base).transcribe(_speech(2.0), prompt="Acme support")
    assert result.text == "I would like a refund. Thanks for watching!"
    assert result.language == "en" and result.duration == pytest.approx(2.0)
    assert [(s.start, s.end) for s in result.segments] == [
        (0.0, 1.5),
        (1.5, pytest.approx(2.0)),
    ]
    assert result.segments[1].no_speech_prob == 0.9 and result.segments[1].avg_logprob == -1.3
    assert clean(result).text == "I would like a refund."
    request = received[-1]
    assert request["wav"] == (1, 2, 16_000), "audio goes up as a 16 kHz PCM16 mono WAV"
    assert (request["model"], request["format"], request["language"]) == (
        "whisper-1",
        "verbose_json",
        "en",
    )
    assert (request["prompt"], request["temperature"]) == ("Acme support", 0.0)


def test_no_prompt_field_is_sent_without_a_prompt(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, received = server
    _engine(base).transcribe(_speech(0.5))
    assert received[-1]["prompt"] is None


def test_plain_json_answers_become_one_segment(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, received = server
    result = _engine(base, model="gpt-4o-mini-transcribe").transcribe(_speech(1.0))
    assert received[-1]["format"] == "json"
    assert result.text == "I would like a refund. Thanks for watching!"
    assert [(s.start, s.end) for s in result.segments] == [(0.0, 1.0)]


def test_a_wrong_api_key_is_an_stt_error_naming_the_setting(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    with pytest.raises(SttError, match=r"HTTP 401.*EARSHOT_STT_OPENAI_API_KEY.*Incorrect API key"):
        _engine(server[0], key="sk-wrong").transcribe(_speech())


def test_a_missing_api_key_sends_no_authorization_header(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    with pytest.raises(SttError, match="HTTP 401"):
        _engine(server[0], key="").transcribe(_speech())


def test_a_server_error_is_an_stt_error(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    with pytest.raises(SttError, match=r"HTTP 500: The server had an error"):
        _engine(server[0], mode="broken").transcribe(_speech())


def test_a_slow_server_times_out_as_an_stt_error(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    engine = _engine(server[0], mode="slow", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(SttError, match=r"timed out after 0.5 s"):
        engine.transcribe(_speech())
    assert time.monotonic() - started < SLOW_SECONDS


def test_a_body_that_is_not_json_is_an_stt_error(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    with pytest.raises(SttError, match=r"not JSON: '<html>502 Bad Gateway"):
        _engine(server[0], mode="garbage").transcribe(_speech())


def test_an_unreachable_server_is_an_stt_error() -> None:
    engine = OpenAITranscriptionEngine(f"http://127.0.0.1:{free_port()}/v1", API_KEY, "whisper-1", 2.0)
    with pytest.raises(SttError, match="failed"):
        engine.transcribe(_speech())


def test_one_client_serves_several_threads(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    engine = _engine(server[0])
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(engine.transcribe(_speech(1.0)).text)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["I would like a refund. Thanks for watching!"] * 4


def test_settings_pick_the_openai_engine(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        stt_engine="openai",
        stt_openai_base_url=f"{server[0]}/ok/v1",
        stt_openai_api_key=API_KEY,
        stt_timeout_seconds=5.0,
    )
    engine = create_engine(settings)
    assert engine.name == "openai" and engine is create_engine(settings)
    assert engine.transcribe(_speech(1.0)).text.startswith("I would like a refund.")
