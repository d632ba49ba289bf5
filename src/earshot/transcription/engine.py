"""The speech-to-text engine Protocol and the values every engine returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000
"""Every engine takes float32 mono audio at this rate, in [-1, 1]."""


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech, with the decoder's own confidence figures.

    `no_speech_prob`, `avg_logprob` and `compression_ratio` are Whisper's per-segment
    statistics; `filters.clean` uses them to drop hallucinations. Engines that do not report
    them leave the neutral defaults, which never trigger a filter.
    """

    start: float
    end: float
    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 1.0


@dataclass(frozen=True)
class Transcription:
    """The result of transcribing one piece of audio; `duration` is the audio's, in seconds."""

    text: str
    segments: tuple[Segment, ...]
    language: str | None = None
    duration: float = 0.0


class SttError(RuntimeError):
    """An engine could not transcribe: a remote error, a timeout, a model that won't load."""


class SttEngine(Protocol):
    """Turns one utterance (or up to 30 s of audio) into text.

    `transcribe` BLOCKS for the whole decode, so callers run it in a worker thread, never on
    the event loop. Implementations must be safe to call from several threads at once.
    """

    name: str

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, final: bool = True, narrowband: bool = False
    ) -> Transcription:
        """Transcribe float32 16 kHz mono `audio`; `prompt` is preceding text that biases
        spelling and vocabulary (e.g. the call's previous final). `final=False` marks a
        provisional decode (a live partial, replaced by its utterance's final): an engine may
        spend less on it than on a decode that is kept. `narrowband=True` marks telephone
        audio (8 kHz, upsampled): an engine may decode it differently."""
        ...


def join_segments(segments: tuple[Segment, ...] | list[Segment]) -> str:
    """The utterance text of `segments`, single-spaced."""
    return " ".join(part for s in segments if (part := s.text.strip()))
