"""STT through any OpenAI-compatible `POST /audio/transcriptions` endpoint.

Works with OpenAI itself and with self-hosted servers that copy its API (faster-whisper-server,
speaches, LocalAI, vLLM). Each utterance is sent as an in-memory 16 kHz PCM16 WAV.
"""

from __future__ import annotations

import io
import json
import logging
import wave
from typing import Any

import httpx
import numpy as np

from earshot.transcription.engine import (
    SAMPLE_RATE,
    Segment,
    SttError,
    Transcription,
    join_segments,
)

log = logging.getLogger(__name__)

# verbose_json is Whisper's format with per-segment confidences; the gpt-4o transcription
# models only answer plain json ({"text": ...}).
_JSON_ONLY_MODEL_PREFIXES = ("gpt-",)
_LANGUAGE_CODES = {"english": "en"}


def wav_bytes(audio: np.ndarray) -> bytes:
    """`audio` (float32 in [-1, 1], 16 kHz mono) as a PCM16 WAV file."""
    pcm = (np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


class OpenAITranscriptionEngine:
    """Blocking client; one `httpx.Client` (thread-safe, pooled) serves every worker thread."""

    name = "openai"

    def __init__(self, base_url: str, api_key: str = "", model: str = "whisper-1", timeout: float = 30.0) -> None:
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout)
        self._response_format = "json" if model.startswith(_JSON_ONLY_MODEL_PREFIXES) else "verbose_json"

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, final: bool = True, narrowband: bool = False
    ) -> Transcription:
        duration = np.asarray(audio).size / SAMPLE_RATE
        form = {"model": self.model, "response_format": self._response_format, "language": "en", "temperature": "0"}
        if prompt:
            form["prompt"] = prompt
        try:
            response = self._client.post(
                self.url, data=form, files={"file": ("utterance.wav", wav_bytes(audio), "audio/wav")}
            )
        except httpx.TimeoutException as exc:
            raise SttError(f"STT request to {self.url} timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise SttError(f"STT request to {self.url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise SttError(_status_message(self.url, response))
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SttError(f"STT response from {self.url} is not JSON: {response.text[:200]!r}") from exc
        return _parse(body, duration, self.url)

    def close(self) -> None:
        self._client.close()


def _status_message(url: str, response: httpx.Response) -> str:
    detail = response.text[:200]
    try:
        error = response.json().get("error")
        detail = error.get("message", detail) if isinstance(error, dict) else str(error or detail)
    except (ValueError, AttributeError):
        pass
    hint = " (check EARSHOT_STT_OPENAI_API_KEY)" if response.status_code in (401, 403) else ""
    return f"STT request to {url} failed with HTTP {response.status_code}{hint}: {detail}"


def _parse(body: Any, duration: float, url: str) -> Transcription:
    """A verbose_json body into segments with confidences; a plain json body into one segment."""
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise SttError(f"STT response from {url} has no text: {str(body)[:200]!r}")
    language = body.get("language")
    if isinstance(language, str):
        language = _LANGUAGE_CODES.get(language.lower(), language)
    duration = float(body.get("duration") or duration)
    raw_segments = body.get("segments")
    try:
        if isinstance(raw_segments, list):
            segments = tuple(
                Segment(
                    start=float(s["start"]),
                    end=float(s["end"]),
                    text=str(s["text"]).strip(),
                    no_speech_prob=float(s.get("no_speech_prob", 0.0)),
                    avg_logprob=float(s.get("avg_logprob", 0.0)),
                    compression_ratio=float(s.get("compression_ratio", 1.0)),
                )
                for s in raw_segments
            )
        else:
            text = body["text"].strip()
            segments = (Segment(start=0.0, end=duration, text=text),) if text else ()
    except (KeyError, TypeError, ValueError) as exc:
        raise SttError(f"STT response from {url} has malformed segments: {exc!r}") from exc
    return Transcription(text=join_segments(segments), segments=segments, language=language or "en", duration=duration)
