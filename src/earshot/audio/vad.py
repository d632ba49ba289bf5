"""Voice activity with Silero VAD (the ONNX model inside faster-whisper) and utterance cutting."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from earshot.audio.decode import SAMPLE_RATE

WINDOW = 512  # samples per VAD decision at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window the v6 model looks back on
WINDOW_MS = WINDOW * 1000 // SAMPLE_RATE


def silero_model_path() -> Path:
    import faster_whisper

    return Path(faster_whisper.__file__).resolve().parent / "assets" / "silero_vad_v6.onnx"


class SileroVadModel:
    """The ONNX session, loaded once per process and shared by every leg (state lives per stream)."""

    _shared: SileroVadModel | None = None
    _lock = threading.Lock()

    def __new__(cls) -> SileroVadModel:
        with cls._lock:
            if cls._shared is None:
                import onnxruntime

                instance = super().__new__(cls)
                options = onnxruntime.SessionOptions()
                options.inter_op_num_threads = 1
                options.intra_op_num_threads = 1
                options.log_severity_level = 4
                instance.session = onnxruntime.InferenceSession(
                    str(silero_model_path()), providers=["CPUExecutionProvider"], sess_options=options
                )
                cls._shared = instance
            return cls._shared

    session: object


class SileroVadStream:
    """Speech probability per 32 ms window of one continuous stream."""

    def __init__(self, model: SileroVadModel) -> None:
        self._session = model.session
        self._state_h = np.zeros((1, 1, 128), np.float32)
        self._state_c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def probabilities(self, samples: np.ndarray) -> list[float]:
        """One probability per complete window; leftover samples wait for the next call."""
        audio = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        windows = len(audio) // WINDOW
        self._pending = audio[windows * WINDOW :]
        result = []
        for index in range(windows):
            window = audio[index * WINDOW : (index + 1) * WINDOW]
            batch = np.concatenate([self._context, window])[None]
            out, self._state_h, self._state_c = self._session.run(  # type: ignore[attr-defined]
                None, {"input": batch, "h": self._state_h, "c": self._state_c}
            )
            self._context = window[-CONTEXT:]
            result.append(float(np.asarray(out).reshape(-1)[0]))
        return result


@dataclass(frozen=True)
class SpeechStarted:
    start_ms: int


@dataclass(frozen=True)
class SpeechEnded:
    start_ms: int
    end_ms: int
    audio: np.ndarray


VadEvent = SpeechStarted | SpeechEnded


class UtteranceSegmenter:
    """Cuts a stream into utterances: speech, then `min_silence_ms` of silence, ends one.

    Offsets are ms from the start of the stream. Audio outside utterances is kept only as
    padding, so memory stays bounded however long the stream runs.
    """

    def __init__(
        self,
        vad: SileroVadStream,
        *,
        threshold: float = 0.5,
        min_silence_ms: int = 500,
        speech_pad_ms: int = 200,
        min_speech_ms: int = 250,
        max_utterance_s: float = 20.0,
    ) -> None:
        self.vad = vad
        self.threshold = threshold
        self.neg_threshold = max(0.0, threshold - 0.15)  # hysteresis: speech ends below this
        self.silence_windows = max(1, min_silence_ms // WINDOW_MS)
        self.pad = speech_pad_ms * SAMPLE_RATE // 1000
        self.min_speech_windows = max(1, min_speech_ms // WINDOW_MS)
        self.max_samples = int(max_utterance_s * SAMPLE_RATE)
        self._audio = np.zeros(0, np.float32)  # audio since `_audio_start` (samples from stream start)
        self._audio_start = 0
        self._window_index = 0  # windows decided so far
        self._start: int | None = None  # sample where the utterance (with padding) begins
        self._speech_windows = 0
        self._silent_run = 0
        self._last_speech_end = 0
        self._probabilities: list[float] = []  # per window of the current utterance, for cutting
        self._announced = False

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        self._audio = np.concatenate([self._audio, np.asarray(samples, np.float32)])
        events: list[VadEvent] = []
        for probability in self.vad.probabilities(samples):
            events.extend(self._decide(probability))
            self._window_index += 1
        self._trim()
        return events

    def current(self) -> tuple[int, np.ndarray] | None:
        """Start (ms) and audio so far of the utterance in progress, once it is real speech."""
        if self._start is None or not self._announced:
            return None
        return self._ms(self._start), self._slice(self._start, self._stream_samples())

    def flush(self) -> list[VadEvent]:
        """End of stream: close the utterance in progress."""
        if self._start is None or not self._announced:
            self._start = None
            return []
        end = min(self._stream_samples(), self._last_speech_end + self.pad)
        return [self._close(end)]

    def _decide(self, probability: float) -> list[VadEvent]:
        window_start = self._window_index * WINDOW
        window_end = window_start + WINDOW
        events: list[VadEvent] = []
        speaking = probability >= self.threshold or (self._start is not None and probability >= self.neg_threshold)
        if speaking:
            if self._start is None:
                self._start = max(self._audio_start, window_start - self.pad)
                self._speech_windows = 0
                self._probabilities = []
            self._speech_windows += 1
            self._silent_run = 0
            self._last_speech_end = window_end
            if not self._announced and self._speech_windows >= self.min_speech_windows:
                self._announced = True
                events.append(SpeechStarted(self._ms(self._start)))
        elif self._start is not None:
            self._silent_run += 1
            if self._silent_run >= self.silence_windows:
                if self._announced:
                    events.append(self._close(min(window_end, self._last_speech_end + self.pad)))
                else:
                    self._start = None  # a click, not speech
        if self._start is not None:
            self._probabilities.append(probability)
            if self._announced and window_end - self._start >= self.max_samples:
                events.extend(self._cut(window_end))
        return events

    def _cut(self, now: int) -> list[VadEvent]:
        """Split a too-long utterance at its quietest window in the last few seconds."""
        assert self._start is not None
        look_back = min(len(self._probabilities), 3 * SAMPLE_RATE // WINDOW)
        recent = self._probabilities[-look_back:]
        quietest = len(self._probabilities) - look_back + int(np.argmin(recent))
        cut = min(now, self._start + (quietest + 1) * WINDOW)
        remaining = self._probabilities[quietest + 1 :]
        ended = self._close(cut)
        self._start, self._announced = cut, True
        self._speech_windows = self.min_speech_windows
        self._probabilities = remaining
        return [ended, SpeechStarted(self._ms(cut))]

    def _close(self, end: int) -> SpeechEnded:
        assert self._start is not None
        event = SpeechEnded(self._ms(self._start), self._ms(end), self._slice(self._start, end))
        self._start, self._announced, self._silent_run, self._probabilities = None, False, 0, []
        return event

    def _trim(self) -> None:
        """Drop audio that can no longer belong to an utterance (beyond the padding)."""
        keep_from = self._start if self._start is not None else self._window_index * WINDOW - self.pad
        drop = max(0, keep_from - self._audio_start)
        if drop:
            self._audio = self._audio[drop:]
            self._audio_start += drop

    def _slice(self, start: int, end: int) -> np.ndarray:
        return self._audio[start - self._audio_start : end - self._audio_start].copy()

    def _stream_samples(self) -> int:
        return self._audio_start + len(self._audio)

    @staticmethod
    def _ms(samples: int) -> int:
        return samples * 1000 // SAMPLE_RATE
