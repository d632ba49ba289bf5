"""Live transcription of one call leg: audio frames in, partial and final transcripts out.

Voice activity detection cuts the stream into utterances. While one is in progress it is
re-decoded every `partial_interval_ms` of new audio; the words two successive decodes agree
on become the stable prefix (LocalAgreement-2), which only ever grows. At end of speech the
whole utterance is decoded once more, as a final, which keeps that prefix.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from earshot.audio.decode import SAMPLE_RATE, AudioFormatError, StreamDecoder, create_decoder
from earshot.audio.vad import WINDOW, WINDOW_MS, SileroVadModel, SileroVadStream, SpeechEnded, SpeechStarted, UtteranceSegmenter
from earshot.config import Settings
from earshot.transcription.engine import Transcription
from earshot.transcription.filters import clean
from earshot.transcription.events import TranscriptUpdate
from earshot.transcription.pool import DecodePool
from earshot.transcription.turns import reads_as_finished

log = logging.getLogger(__name__)

MIN_COMMIT_SAMPLES = SAMPLE_RATE  # decodes of under 1 s of speech are too unreliable to commit
# After a partial that heard nothing yet, the next one comes after this much more audio rather than
# a full interval: the first partial of a soft onset is often empty, and that wait is the tail of
# first-partial latency (p95 717 -> 544 ms at 80 ms instead of 160 ms, same calls, loaded machine).
EMPTY_PARTIAL_RETRY_MS = 80
# Once the speaker has been quiet this long no partial starts: it would show nothing new (the
# pause is silence) and hold the decoder when the final's decode starts at 200 ms of silence.
# Real voices, one leg, quiet machine: final p95 730 -> 675 ms at 16 kHz, 769 ms either way on
# mu-law, first partial and WER unchanged (bench/stt_stream.py variants, 2026-12-03).
NO_PARTIAL_AFTER_QUIET_MS = 96
MAX_BACKLOG_FRAMES = 500  # about 10 s of 20 ms frames; beyond that the leg is overloaded
# Silero scores voices on a phone line lower than the same voices at 16 kHz: real sentences sent
# as 8 kHz mu-law peaked at 0.38-0.45 and were never heard at the 0.5 threshold (3 of 5 in one
# benchmark call). Phone streams use this share of the configured threshold (0.5 -> 0.3).
NARROWBAND_THRESHOLD_SHARE = 0.6
# A phone voice's pause between two sentences read as one turn fell under 500 ms of VAD silence
# and split it ("A cold dip restores health and zest." / "A salt pickle ..."), and a final cut
# from half a sentence is decoded worse; phone streams wait this much longer before ending an
# utterance. With the final decoded during the silence this costs ~100 ms of final latency.
NARROWBAND_EXTRA_SILENCE_MS = 100
NARROWBAND_FORMATS = frozenset({"mulaw"})
_WORD = re.compile(r"[^\w']+")


def _norm(word: str) -> str:
    return _WORD.sub("", word.lower())


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if _norm(x) != _norm(y):
            break
        n += 1
    return n


class LocalAgreement:
    """The stable prefix of a growing hypothesis: what two successive decodes agree on."""

    def __init__(self) -> None:
        self.stable: list[str] = []
        self._previous: list[str] = []

    def update(self, hypothesis: str, *, may_commit: bool = True) -> tuple[str, str]:
        """Feed a new decode; returns (stable text, full text to show).

        The last word of a decode is never committed (it may be cut mid-word), and callers
        pass `may_commit=False` while the audio is still too short for Whisper to be reliable.
        """
        words = hypothesis.split()
        agreed = min(_common_prefix(self._previous, words), len(words) - 1)
        if may_commit and agreed > len(self.stable) and _common_prefix(self.stable, words) == len(self.stable):
            self.stable = self.stable + words[len(self.stable) : agreed]  # committed words keep their spelling
        self._previous = words
        return " ".join(self.stable), " ".join(self.stable + self._tail(words))

    def finalize(self, final_text: str) -> str:
        """The final text: it keeps the stable prefix exactly as shown when the final decode
        agrees with it, and otherwise wins (a decode of the whole utterance is the better one,
        e.g. "order 1, 2, 3, 4, 5" after partials said "order one two three")."""
        words = final_text.split()
        if self.stable and _common_prefix(self.stable, words) == len(self.stable):
            return " ".join(self.stable + words[len(self.stable) :]).strip()
        return final_text.strip()

    def _tail(self, words: list[str]) -> list[str]:
        """The words of `words` that come after the stable prefix, aligned by content."""
        if _common_prefix(self.stable, words) == len(self.stable):
            return words[len(self.stable) :]
        matcher = difflib.SequenceMatcher(a=[_norm(w) for w in self.stable], b=[_norm(w) for w in words])
        end_in_words = 0
        for block in matcher.get_matching_blocks():
            if block.size:
                end_in_words = block.b + block.size
        return words[end_in_words:]


class QuietRun(SileroVadStream):
    """Silero's probabilities for one stream, counting the windows decided and how many of the
    last ones were under `quiet_below` (the segmenter's threshold for silence inside speech)."""

    def __init__(self, model: SileroVadModel) -> None:
        super().__init__(model)
        self.quiet_below = 0.0
        self.windows = 0
        self.quiet_windows = 0

    def probabilities(self, samples: np.ndarray) -> list[float]:
        result = super().probabilities(samples)
        for probability in result:
            self.windows += 1
            self.quiet_windows = self.quiet_windows + 1 if probability < self.quiet_below else 0
        return result


@dataclass
class _Speculation:
    """A final decoded before the VAD has heard enough silence to end the utterance."""

    utterance_id: str
    speech_end: int  # the end of the last window heard as speech, in samples of the stream
    audio: np.ndarray
    task: asyncio.Task[Transcription | None]


Emit = Callable[[TranscriptUpdate], Awaitable[None]]


class LegTranscriber:
    """One speaker's audio in a call; emits transcript updates through `emit`."""

    empty_partial_retry_ms = EMPTY_PARTIAL_RETRY_MS
    no_partial_after_quiet_ms: int | None = NO_PARTIAL_AFTER_QUIET_MS

    def __init__(
        self,
        *,
        leg: str,
        pool: DecodePool,
        vad_model: SileroVadModel,
        audio_executor: Executor,
        settings: Settings,
        emit: Emit,
        offset_ms: Callable[[], int],
    ) -> None:
        self.leg = leg
        self.pool = pool
        self.settings = settings
        self._vad_model = vad_model
        self._executor = audio_executor
        self._emit = emit
        self._call_offset_ms = offset_ms
        self._inbox: asyncio.Queue[tuple[str, object]] = asyncio.Queue(maxsize=MAX_BACKLOG_FRAMES)
        self._decoder: StreamDecoder = create_decoder("pcm16")
        self._narrowband = False
        self._segmenter = self._new_segmenter()  # with its QuietRun in self._vad
        self._stream_base_ms = 0  # call offset at which the current audio stream began
        self._streaming = False
        self._utterances = 0
        self._agreement = LocalAgreement()
        self._current_id: str | None = None
        self._audio_since_partial = 0
        self._partial_task: asyncio.Task[None] | None = None
        self._speculation: _Speculation | None = None
        self._finals: list[asyncio.Task[None]] = []
        self._runner = asyncio.get_running_loop().create_task(self._run())

    def _new_segmenter(self) -> UtteranceSegmenter:
        s = self.settings
        self._vad = QuietRun(self._vad_model)
        self._samples_fed = 0  # audio given to this segmenter, in samples
        segmenter = UtteranceSegmenter(
            self._vad,
            threshold=s.vad_threshold * (NARROWBAND_THRESHOLD_SHARE if self._narrowband else 1.0),
            min_silence_ms=s.vad_min_silence_ms + (NARROWBAND_EXTRA_SILENCE_MS if self._narrowband else 0),
            speech_pad_ms=s.vad_speech_pad_ms,
            max_utterance_s=s.max_utterance_seconds,
        )
        self._vad.quiet_below = segmenter.neg_threshold
        return segmenter

    def start(self, audio_format: str) -> None:
        """A new audio stream begins; raises AudioFormatError for an unknown format."""
        create_decoder(audio_format)  # validate now, so the sender gets the error
        self._put(("start", audio_format))

    def feed(self, frame: bytes) -> None:
        """Queue one binary frame; a frame that cannot be queued raises AudioFormatError."""
        if not self._streaming:
            self._put(("start", None))
        self._put(("frame", frame))

    def stop(self) -> None:
        """End of this audio stream (mute, or the party left): finish the utterance in progress."""
        if self._streaming:
            self._put(("stop", None))

    def _put(self, item: tuple[str, object]) -> None:
        if item[0] == "start":
            self._streaming = True
        elif item[0] == "stop":
            self._streaming = False
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            raise AudioFormatError("audio is arriving faster than it can be processed; frame dropped") from None

    async def close(self) -> None:
        """Finish what was heard, deliver its final, and stop."""
        if self._streaming:
            self._streaming = False
            await self._inbox.put(("stop", None))
        await self._inbox.put(("close", None))
        await self._runner
        if self._partial_task is not None:
            self._partial_task.cancel()
        self._drop_speculation()
        await asyncio.gather(*self._finals, return_exceptions=True)

    async def _run(self) -> None:
        """Handles the inbox in order, so a stream's frames never meet another stream's state."""
        loop = asyncio.get_running_loop()
        while True:
            kind, value = await self._inbox.get()
            if kind == "close":
                return
            if kind == "eager":
                self._maybe_end_eagerly(str(value))
                continue
            if kind == "start":
                if value is not None:
                    self._decoder = create_decoder(str(value))
                    self._narrowband = str(value) in NARROWBAND_FORMATS
                self._segmenter = self._new_segmenter()
                self._stream_base_ms = self._call_offset_ms()
                continue
            try:
                work = self._flush if kind == "stop" else functools.partial(self._process, value)
                events = await loop.run_in_executor(self._executor, work)
            except AudioFormatError as exc:
                log.info("leg %s: bad audio frame: %s", self.leg, exc)
                continue
            except Exception:
                log.exception("leg %s: audio processing failed", self.leg)
                continue
            for event in events:
                if isinstance(event, SpeechStarted):
                    self._begin_utterance()
                elif isinstance(event, SpeechEnded):
                    self._end_utterance(event)
            self._maybe_speculate()
            self._maybe_partial()

    def _process(self, frame: object) -> list[SpeechStarted | SpeechEnded]:
        assert isinstance(frame, bytes)
        samples = self._decoder.decode(frame)
        self._audio_since_partial += len(samples)
        self._samples_fed += len(samples)
        return self._segmenter.feed(samples) if len(samples) else []

    def _flush(self) -> list[SpeechStarted | SpeechEnded]:
        tail = self._decoder.flush()
        self._samples_fed += len(tail)
        events = self._segmenter.feed(tail) if len(tail) else []
        return [*events, *self._segmenter.flush()]

    @property
    def _retry_samples(self) -> int:
        return (self.settings.partial_interval_ms - self.empty_partial_retry_ms) * SAMPLE_RATE // 1000

    def _begin_utterance(self) -> None:
        self._utterances += 1
        self._current_id = f"{self.leg}-{self._utterances}"
        self._agreement = LocalAgreement()
        # The first partial goes out as soon as speech is certain; later ones every interval.
        self._audio_since_partial = self.settings.partial_interval_ms * SAMPLE_RATE // 1000

    def _maybe_speculate(self) -> None:
        """Start the final's decode once the speaker has been quiet for the speech padding.

        The segmenter ends an utterance after `vad_min_silence_ms` (500 ms) of silence, keeping
        `vad_speech_pad_ms` (200 ms) of it: from then on the final's audio is known unless
        speech resumes, so its decode can run during the rest of the silence instead of after
        it. If speech resumes the decode is dropped, and the final uses it only when its audio
        is exactly what was decoded.
        """
        if self._current_id is None or not self.settings.stt_speculative_final:
            return
        pad = self.settings.vad_speech_pad_ms * SAMPLE_RATE // 1000
        if self._vad.quiet_windows * WINDOW < pad:
            self._drop_speculation()  # still speaking, or speaking again
            return
        speech_end = (self._vad.windows - self._vad.quiet_windows) * WINDOW  # in samples of this stream
        known = self._speculation
        if known is not None and known.utterance_id == self._current_id and known.speech_end == speech_end:
            return
        current = self._segmenter.current()
        if current is None:
            return
        audio = current[1]  # from the utterance's start to the last sample fed
        end = len(audio) - (self._samples_fed - speech_end) + pad
        if not 0 < end <= len(audio):
            return
        self._drop_speculation()
        spoken = audio[:end].copy()
        task = asyncio.get_running_loop().create_task(
            self.pool.transcribe(self.leg, spoken, final=True, speculative=True, narrowband=self._narrowband)
        )
        self._speculation = _Speculation(self._current_id, speech_end, spoken, task)
        if self.settings.stt_eager_end_of_turn:
            utterance_id = self._current_id
            task.add_done_callback(lambda _: self._queue_eager_check(utterance_id))

    def _queue_eager_check(self, utterance_id: str) -> None:
        # Through the inbox, so the check runs between two frames, never while one is processed.
        try:
            self._inbox.put_nowait(("eager", utterance_id))
        except asyncio.QueueFull:
            pass  # overloaded: the turn ends after the full silence as usual

    def _maybe_end_eagerly(self, utterance_id: str) -> None:
        """End the turn now if the final decoded in the silence reads as a finished sentence and
        the speaker is still quiet: the final goes out at once instead of after the rest of the
        end-of-speech silence. If they speak again, that is a new turn (counted as a split by
        bench/stt_stream.py)."""
        known = self._speculation
        if known is None or known.utterance_id != utterance_id or self._current_id != utterance_id:
            return
        if not known.task.done() or known.task.cancelled() or known.task.exception() is not None:
            return
        result = known.task.result()
        if result is None or not reads_as_finished(clean(result).text):
            return
        pad = self.settings.vad_speech_pad_ms * SAMPLE_RATE // 1000
        if (self._vad.windows - self._vad.quiet_windows) * WINDOW != known.speech_end:
            return  # speech resumed after the decode started
        event = self._segmenter.end_now(known.speech_end + pad)
        if event is not None:
            log.debug("leg %s: turn %s ended after %d ms of silence", self.leg, utterance_id, self._vad.quiet_windows * WINDOW_MS)
            self._end_utterance(event)

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.task.cancel()
            self._speculation = None

    def _take_speculation(self, utterance_id: str, audio: np.ndarray) -> asyncio.Task[Transcription | None] | None:
        """The speculative decode of exactly this utterance's audio, if one was started."""
        known, self._speculation = self._speculation, None
        if known is None:
            return None
        if known.utterance_id == utterance_id and np.array_equal(known.audio, audio):
            return known.task
        known.task.cancel()
        return None

    def _maybe_partial(self) -> None:
        interval = self.settings.partial_interval_ms * SAMPLE_RATE // 1000
        if self._current_id is None or self._audio_since_partial < interval:
            return
        if self._speculation is not None:
            return  # the speaker paused and the final is being decoded: a partial would only delay it
        pause = self.no_partial_after_quiet_ms
        if pause is not None and self._vad.quiet_windows * WINDOW_MS >= pause:
            return  # a partial of a pause shows nothing new, and would hold the decoder the final needs
        if self._partial_task is not None and not self._partial_task.done():
            return
        current = self._segmenter.current()
        if current is None:
            return
        self._audio_since_partial = 0
        start_ms, audio = current
        self._partial_task = asyncio.get_running_loop().create_task(
            self._partial(self._current_id, self._agreement, start_ms, audio.copy())
        )

    async def _partial(self, utterance_id: str, agreement: LocalAgreement, start_ms: int, audio: np.ndarray) -> None:
        result = await self.pool.transcribe(self.leg, audio, final=False, narrowband=self._narrowband)
        if result is None or utterance_id != self._current_id:
            return  # skipped under load, or the utterance already ended
        text = clean(result).text.strip()
        if not text:
            # Too little speech to recognise yet: try again soon rather than a full interval later.
            self._audio_since_partial = max(self._audio_since_partial, self._retry_samples)
            return
        stable, full = agreement.update(text, may_commit=len(audio) >= MIN_COMMIT_SAMPLES)
        end_ms = start_ms + len(audio) * 1000 // SAMPLE_RATE
        await self._emit(
            TranscriptUpdate(utterance_id, False, full, stable, self._stream_base_ms + start_ms, self._stream_base_ms + end_ms)
        )

    def _end_utterance(self, event: SpeechEnded) -> None:
        utterance_id = self._current_id or f"{self.leg}-{self._utterances + 1}"
        agreement = self._agreement
        self._current_id = None
        if self._partial_task is not None and not self._partial_task.done():
            self._partial_task.cancel()
        base = self._stream_base_ms
        previous = self._finals[-1] if self._finals else None
        decoded = self._take_speculation(utterance_id, event.audio)
        task = asyncio.get_running_loop().create_task(
            self._final(utterance_id, agreement, base + event.start_ms, base + event.end_ms, event.audio, previous, decoded)
        )
        self._finals.append(task)
        task.add_done_callback(self._finals.remove)

    async def _final(
        self,
        utterance_id: str,
        agreement: LocalAgreement,
        start_ms: int,
        end_ms: int,
        audio: np.ndarray,
        previous: asyncio.Task[None] | None,
        decoded: asyncio.Task[Transcription | None] | None,
    ) -> None:
        result = await decoded if decoded is not None else await self.pool.transcribe(
            self.leg, audio, final=True, narrowband=self._narrowband
        )
        assert result is not None  # finals are never skipped
        if previous is not None:  # a leg's finals go out in the order they were spoken
            await asyncio.gather(previous, return_exceptions=True)
        text = clean(result).text.strip()
        if not text:
            return  # noise or a hallucination: nothing was said
        text = agreement.finalize(text)
        await self._emit(TranscriptUpdate(utterance_id, True, text, text, start_ms, end_ms))
