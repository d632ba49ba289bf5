"""Speech to text: the engine Protocol, its implementations, and the one place that picks one."""

from __future__ import annotations

from functools import lru_cache

from earshot.config import Settings
from earshot.transcription.engine import Segment, SttEngine, SttError, Transcription

__all__ = ["Segment", "SttEngine", "SttError", "Transcription", "create_engine"]


def create_engine(settings: Settings) -> SttEngine:
    """The engine `settings.stt_engine` names, built once per process for the same settings.

    Every call leg asks for its engine here, so all of them share one loaded Whisper model
    (or one pooled HTTP client) instead of loading a model per leg.
    """
    if settings.stt_engine == "openai":
        return _openai_engine(
            settings.stt_openai_base_url,
            settings.stt_openai_api_key,
            settings.stt_openai_model,
            settings.stt_timeout_seconds,
        )
    return _faster_whisper_engine(
        settings.stt_model,
        settings.stt_compute_type,
        settings.stt_cpu_threads,
        settings.stt_workers,
        settings.stt_final_beam_size,
    )


@lru_cache
def _faster_whisper_engine(
    model: str, compute_type: str, cpu_threads: int, workers: int, final_beam_size: int
) -> SttEngine:
    from earshot.transcription.faster_whisper import FasterWhisperEngine

    return FasterWhisperEngine(model, compute_type, cpu_threads, workers=workers, final_beam_size=final_beam_size)


@lru_cache
def _openai_engine(base_url: str, api_key: str, model: str, timeout: float) -> SttEngine:
    from earshot.transcription.openai_api import OpenAITranscriptionEngine

    return OpenAITranscriptionEngine(base_url, api_key, model, timeout)
