"""Voice activity with Silero VAD (the ONNX model inside faster-whisper) and utterance cutting."""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime  # type: ignore[import-untyped]

from earshot.audio.decode import SAMPLE_RATE

log = logging.getLogger(__name__)

WINDOW = 512  # samples per VAD decision at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous window the v6 model looks back on
WINDOW_MS = WINDOW * 1000 // SAMPLE_RATE
MAX_BATCH = 1024  # windows per model call when a large block of audio arrives at once
STATE_SHAPE = (1, 1, 128)
CUT_LOOK_BACK_S = 3.0  # a too-long utterance is cut at the quietest point in this last stretch

_load_lock = threading.Lock()


def silero_model_path() -> Path:
    import faster_whisper  # type: ignore[import-untyped]

    return Path(faster_whisper.__file__).resolve().parent / "assets" / "silero_vad_v6.onnx"


@functools.cache
def _cached_session(path: str) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1  # many legs run side by side; one thread each is fastest overall
    options.log_severity_level = 4
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=options)
    log.info("Silero VAD loaded from %s", path)
    return session


def load_silero_session(path: str | Path | None = None) -> onnxruntime.InferenceSession:
    """The process-wide ONNX session for `path` (default: faster-whisper's Silero v6), loaded once."""
    with _load_lock:
        return _cached_session(str(path or silero_model_path()))


class SileroVadModel:
    """The shared, stateless model: safe to use from many threads (ONNX Runtime's run is thread-safe)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.session = load_silero_session(path)

    def run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities for consecutive (context + window) rows; the LSTM state runs through the rows."""
        probabilities, h, c = self.session.run(None, {"input": windows, "h": h, "c": c})
        return np.asarray(probabilities, np.float32).reshape(-1), h, c


class SileroVadStream:
    """Speech probability per 32 ms window of one continuous stream (one per call leg)."""

    def __init__(self, model: SileroVadModel) -> None:
        self._model = model
        self._h = np.zeros(STATE_SHAPE, np.float32)
        self._c = np.zeros(STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)  # the previous window's tail; zeros at the start
        self._pending = np.zeros(0, np.float32)

    def probabilities(self, samples: np.ndarray) -> list[float]:
        """One probability per complete window; leftover samples wait for the next call."""
        audio = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        count = len(audio) // WINDOW
        self._pending = audio[count * WINDOW :].copy()
        result: list[float] = []
        for first in range(0, count, MAX_BATCH):
            windows = audio[first * WINDOW : min(count, first + MAX_BATCH) * WINDOW].reshape(-1, WINDOW)
            result.extend(self._run(windows))
        return result

    def _run(self, windows: np.ndarray) -> list[float]:
        contexts = np.empty((len(windows), CONTEXT), np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT:]
        self._context = windows[-1, -CONTEXT:].copy()
        probabilities, self._h, self._c = self._model.run(np.hstack([contexts, windows]), self._h, self._c)
        return probabilities.tolist()


@dataclass(frozen=True)
class SpeechStarted:
    start_ms: int


@dataclass(frozen=True)
class SpeechEnded:
    start_ms: int
    end_ms: int
    audio: np.ndarray = field(repr=False, compare=False)  # the whole utterance, padding included


VadEvent = SpeechStarted | SpeechEnded


class _SampleBuffer:
    """Samples from stream offset `start` to `end`, with amortised O(1) appends and drops."""

    def __init__(self, capacity: int = SAMPLE_RATE) -> None:
        self._data = np.zeros(capacity, np.float32)
        self._head = 0
        self._tail = 0
        self.start = 0

    @property
    def end(self) -> int:
        return self.start + self._tail - self._head

    def append(self, samples: np.ndarray) -> None:
        if self._tail + len(samples) > len(self._data):
            self._make_room(len(samples))
        self._data[self._tail : self._tail + len(samples)] = samples
        self._tail += len(samples)

    def drop_before(self, offset: int) -> None:
        dropped = min(max(0, offset - self.start), self._tail - self._head)
        self._head += dropped
        self.start += dropped

    def slice(self, start: int, end: int) -> np.ndarray:
        return self._data[self._head + start - self.start : self._head + end - self.start].copy()

    def _make_room(self, extra: int) -> None:
        live = self._tail - self._head
        if 2 * (live + extra) > len(self._data):
            data = np.zeros(2 * (live + extra), np.float32)
            data[:live] = self._data[self._head : self._tail]
            self._data = data
        else:
            self._data[:live] = self._data[self._head : self._tail]
        self._head, self._tail = 0, live


@dataclass
class _Utterance:
    """The utterance in progress; window `first_window + i` has probabilities[i] and energies[i]."""

    start: int  # first sample, padding included
    first_window: int
    announced: bool = False  # SpeechStarted was emitted (min_speech_ms reached)
    speech_windows: int = 0
    silent_run: int = 0
    last_speech_end: int = 0
    probabilities: list[float] = field(default_factory=list)
    energies: list[float] = field(default_factory=list)


ONSET_PROBABILITY = 0.1
ONSET_ABOVE_FLOOR_DB = 20.0
ONSET_FLOOR_MIN_DB = -70.0  # digital silence is no floor: a window must reach -50 dBFS to count
ONSET_LOOK_BACK_MS = 2000
ONSET_GAP_WINDOWS = 3  # a pause of up to ~100 ms between the first words does not end the run


def _ceil_windows(ms: float) -> int:
    return max(1, -int(-ms // WINDOW_MS))


class UtteranceSegmenter:
    """Cuts one stream into utterances: speech, then `min_silence_ms` of silence, ends one.

    Offsets are ms from the start of the stream. Audio outside utterances is kept only as
    padding, so memory stays bounded however long the stream runs.
    """

    def __init__(
        self,
        vad_stream: SileroVadStream,
        threshold: float = 0.5,
        min_silence_ms: int = 500,
        speech_pad_ms: int = 200,
        min_speech_ms: int = 250,
        max_utterance_s: float = 20.0,
    ) -> None:
        self.vad_stream = vad_stream
        self.threshold = threshold
        self.neg_threshold = max(0.0, threshold - 0.15)  # hysteresis: once speaking, stop only below this
        self.silence_windows = _ceil_windows(min_silence_ms)
        self.min_speech_windows = _ceil_windows(min_speech_ms)
        self.pad = speech_pad_ms * SAMPLE_RATE // 1000
        self.max_samples = max(2 * WINDOW, int(max_utterance_s * SAMPLE_RATE))
        self.cut_look_back = _ceil_windows(min(CUT_LOOK_BACK_S * 1000, max_utterance_s * 500))
        self._buffer = _SampleBuffer()
        self._windows = 0  # windows decided so far
        self._open: _Utterance | None = None
        self._last_end = 0  # where the previous utterance ended; the next never starts before it
        # Some voices, band-limited on a phone line, score only 0.02-0.4 on their first words and
        # pass the threshold a syllable or three in ("Four hours of steady work" heard as "hours
        # of steady work") although they are 40 dB over the line's noise: an utterance starts
        # where the run of windows that led to it began (each above ONSET_PROBABILITY, or
        # ONSET_ABOVE_FLOOR_DB over the quietest recent window; short gaps allowed), up to
        # ONSET_LOOK_BACK_MS earlier, then the usual padding.
        self.onset_look_back = ONSET_LOOK_BACK_MS * SAMPLE_RATE // 1000
        self._idle: deque[tuple[float, float]] = deque(maxlen=self.onset_look_back // WINDOW)  # (probability, dB)

    def feed(self, samples: np.ndarray) -> list[VadEvent]:
        """Adds audio; returns the starts and ends it completes."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        self._buffer.append(samples)
        events: list[VadEvent] = []
        for probability in self.vad_stream.probabilities(samples):
            events.extend(self._decide(probability))
            self._windows += 1
        self._trim()
        return events

    def current(self) -> tuple[int, np.ndarray] | None:
        """Start (ms) and audio so far of the utterance in progress, once it is real speech."""
        if self._open is None or not self._open.announced:
            return None
        return _ms(self._open.start), self._buffer.slice(self._open.start, self._buffer.end)

    @property
    def buffered_samples(self) -> int:
        """Audio held now: the utterance in progress, or just the padding when nobody speaks."""
        return self._buffer.end - self._buffer.start

    def flush(self) -> list[VadEvent]:
        """End of stream: close the utterance in progress."""
        utterance, self._open = self._open, None
        if utterance is None or not utterance.announced:
            return []
        return [self._ended(utterance, min(self._buffer.end, utterance.last_speech_end + self.pad))]

    def end_now(self, end: int) -> SpeechEnded | None:
        """End the utterance in progress at sample `end` before `min_silence_ms` has passed,
        when the caller knows the turn is over; None unless it is real speech and quiet since
        `end` minus the padding (speech after that point would be cut off)."""
        utterance = self._open
        if utterance is None or not utterance.announced or utterance.silent_run == 0:
            return None
        if end != utterance.last_speech_end + self.pad or end > self._buffer.end:
            return None
        self._open = None
        return self._ended(utterance, end)

    def _decide(self, probability: float) -> list[VadEvent]:
        window_start = self._windows * WINDOW
        utterance = self._open
        speech = probability >= self.threshold or (utterance is not None and probability >= self.neg_threshold)
        if utterance is None:
            if not speech:
                level = 20 * math.log10(max(_rms(self._buffer.slice(window_start, window_start + WINDOW)), 1e-9))
                self._idle.append((probability, level))
                return []
            onset = window_start - self._onset_windows() * WINDOW
            self._idle.clear()
            start = max(self._buffer.start, self._last_end, onset - self.pad)
            utterance = self._open = _Utterance(start=start, first_window=self._windows)
        utterance.probabilities.append(probability)
        utterance.energies.append(float(np.sqrt(np.mean(self._buffer.slice(window_start, window_start + WINDOW) ** 2))))
        if speech:
            return self._on_speech(utterance, window_start + WINDOW)
        return self._on_silence(utterance, window_start + WINDOW)

    def _onset_windows(self) -> int:
        """How many of the idle windows just before this one already were the voice starting."""
        if not self._idle:
            return 0
        floor = max(ONSET_FLOOR_MIN_DB, min(level for _, level in self._idle))
        count = gap = 0
        for back, (probability, level) in enumerate(reversed(self._idle), start=1):
            if probability >= ONSET_PROBABILITY or level >= floor + ONSET_ABOVE_FLOOR_DB:
                count, gap = back, 0
            elif (gap := gap + 1) > ONSET_GAP_WINDOWS:
                break
        return count

    def _on_speech(self, utterance: _Utterance, window_end: int) -> list[VadEvent]:
        utterance.speech_windows += 1
        utterance.silent_run = 0
        utterance.last_speech_end = window_end
        events: list[VadEvent] = []
        if not utterance.announced and utterance.speech_windows >= self.min_speech_windows:
            utterance.announced = True
            events.append(SpeechStarted(_ms(utterance.start)))
        if utterance.announced and window_end - utterance.start >= self.max_samples:
            events.extend(self._cut(utterance))
        return events

    def _on_silence(self, utterance: _Utterance, window_end: int) -> list[VadEvent]:
        utterance.silent_run += 1
        if utterance.silent_run < self.silence_windows:
            if utterance.announced and window_end - utterance.start >= self.max_samples:
                return self._cut(utterance)
            return []
        self._open = None
        if not utterance.announced:
            # shorter than min_speech_ms: a click or a cough, or a voice's first syllable
            self._idle.extend((p, 20 * math.log10(max(e, 1e-9))) for p, e in zip(utterance.probabilities, utterance.energies, strict=True))
            return []
        return [self._ended(utterance, min(window_end, utterance.last_speech_end + self.pad))]

    def _cut(self, utterance: _Utterance) -> list[VadEvent]:
        """Split a too-long utterance at its quietest window in the last few seconds; the rest goes on."""
        look = min(len(utterance.probabilities), self.cut_look_back)
        probabilities = np.asarray(utterance.probabilities[-look:])
        energies = np.asarray(utterance.energies[-look:])
        # Smoothing keeps one low window inside a word from beating a real pause; the energy
        # term finds the gap between words when the model hears speech throughout.
        smoothed = np.convolve(probabilities, np.ones(3) / 3, mode="same")
        score = smoothed + energies / max(float(energies.max()), 1e-9)
        quietest = len(utterance.probabilities) - look + int(np.argmin(score))
        cut = (utterance.first_window + quietest) * WINDOW + WINDOW // 2
        ended = self._ended(utterance, cut)
        rest = self._rest_after(utterance, quietest, cut)
        self._open = rest
        log.debug("utterance longer than %d samples cut at %d ms", self.max_samples, _ms(cut))
        return [ended, SpeechStarted(_ms(cut))] if rest.announced else [ended]

    def _rest_after(self, utterance: _Utterance, quietest: int, cut: int) -> _Utterance:
        probabilities = utterance.probabilities[quietest + 1 :]
        speech = [p >= self.neg_threshold for p in probabilities]
        rest = _Utterance(
            start=cut,
            first_window=utterance.first_window + quietest + 1,
            speech_windows=sum(speech),
            silent_run=utterance.silent_run,
            last_speech_end=max(cut, utterance.last_speech_end) if any(speech) else cut,
            probabilities=probabilities,
            energies=utterance.energies[quietest + 1 :],
        )
        rest.announced = rest.speech_windows >= self.min_speech_windows
        return rest

    def _ended(self, utterance: _Utterance, end: int) -> SpeechEnded:
        end = max(end, utterance.start)
        self._last_end = end
        return SpeechEnded(_ms(utterance.start), _ms(end), self._buffer.slice(utterance.start, end))

    def _trim(self) -> None:
        """Drop audio that can no longer belong to an utterance (beyond the padding)."""
        if self._open is not None:
            self._buffer.drop_before(self._open.start)
        else:
            self._buffer.drop_before(self._windows * WINDOW - self.pad - self.onset_look_back)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def _ms(samples: int) -> int:
    return samples * 1000 // SAMPLE_RATE
