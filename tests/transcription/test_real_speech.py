"""Real human voices (`../shared/speech-real`): no repeated sentences, and no worse than plain Whisper.

Every clip goes through Earshot's whole-file path (`earshot transcribe`) and through a live call
leg (VAD, partials, final) with the default engine; the word error rate must stay within half a
point of plain faster-whisper `tiny.en` decoding the whole clip (30 s context, greedy, no VAD),
computed here on the same audio. Both run at 16 kHz and on 8 kHz mu-law telephone copies made
with sox. Short-context decoding once repeated these sentences ("Rice is often served in round
bowls. Rice is often served in round bowls. Rice is often") on one clip in six.

On mu-law, tiny.en's WER on these 293 words moves by up to 2.4 points when a clip's start moves
by a few ms (plain tiny.en 0.034-0.058 over the shifts below, and each machine's sox makes
slightly different copies), more than the half-point margin. So the live mu-law check decodes
every clip at five start shifts, plain and live alike, and bounds the mean.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE, AudioFormatError, create_decoder, load_audio_file
from earshot.audio.vad import SileroVadModel, SileroVadStream, SpeechStarted, UtteranceSegmenter
from earshot.config import Settings
from earshot.transcription import create_engine
from earshot.transcription.events import TranscriptUpdate
from earshot.transcription.faster_whisper import ContextPolicy, FasterWhisperEngine, token_budget
from earshot.transcription.offline import transcribe_audio
from earshot.transcription.pool import DecodePool
from earshot.transcription.streaming import LegTranscriber
from earshot.transcription.wer import corpus_wer, normalize_text
from tests.harness import SHARED

SPEECH_REAL = SHARED / "speech-real"
WER_MARGIN = 0.005  # half a point over plain Whisper, as the issue asks
FRAME_MS = 20
MULAW_SHIFTS = (0, -16, 8, 16, 32)  # 8 kHz samples: the stream starting 2 ms earlier, 1, 2 and 4 ms later

pytestmark = pytest.mark.skipif(not (SPEECH_REAL / "manifest.tsv").exists(), reason="no ../shared/speech-real")


@dataclass(frozen=True)
class Clip:
    id: str
    text: str
    audio: np.ndarray  # 16 kHz float32, as Earshot's decoder reads the file
    wire: bytes  # what a caller sends: PCM16 at 16 kHz, or mu-law at 8 kHz
    wire_format: str
    shift: int = 0  # wire samples the stream starts later (earlier, with silence, if negative)


def _rows() -> list[dict[str, str]]:
    with (SPEECH_REAL / "manifest.tsv").open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _sox(source: Path, target: Path) -> None:
    """The issue's telephone line: band-limited, 8 kHz, G.711 mu-law."""
    command = ["sox", "-R", str(source), "-c", "1", "-e", "u-law", "-b", "8", str(target)]
    subprocess.run([*command, "gain", "-3", "sinc", "300-3400", "rate", "8000"], check=True)


@pytest.fixture(scope="module", params=["16k", "mulaw"])
def clips(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    result = []
    if request.param == "16k":
        for row in _rows():
            audio = load_audio_file(SPEECH_REAL / row["file"])
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
            result.append(Clip(row["id"], row["text"], audio, pcm, "pcm16"))
        return result
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (scripts/install-system-deps.sh installs it)")
    directory = tmp_path_factory.mktemp("mulaw")
    for row in _rows():
        wav, raw = directory / f"{row['id']}.wav", directory / f"{row['id']}.ul"
        _sox(SPEECH_REAL / row["file"], wav)
        _sox(SPEECH_REAL / row["file"], raw)  # the same samples without the WAV header, as a phone sends them
        result.append(Clip(row["id"], row["text"], load_audio_file(wav), raw.read_bytes(), "mulaw"))
    return result


@pytest.fixture(scope="module")
def engine() -> FasterWhisperEngine:
    engine = create_engine(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(engine, FasterWhisperEngine)
    return engine


@pytest.fixture(scope="module")
def plain_wer(engine: FasterWhisperEngine) -> Callable[[list[Clip]], float]:
    """Plain faster-whisper's WER on a set of clips, each set decoded once: the whole-file, live
    and shifted checks compare with the same sets."""
    known: dict[tuple[str, int], float] = {}

    def wer(clips: list[Clip]) -> float:
        key = (clips[0].wire_format, clips[0].shift)
        if key not in known:
            known[key] = corpus_wer((clip.text, plain_transcript(engine, clip.audio)) for clip in clips)
        return known[key]

    return wer


@pytest.fixture(scope="module")
def baseline_wer(clips: list[Clip], plain_wer: Callable[[list[Clip]], float]) -> float:
    return plain_wer(clips)


def plain_transcript(engine: FasterWhisperEngine, audio: np.ndarray) -> str:
    """Plain faster-whisper on the engine's loaded model: whole clip, greedy, temperature 0, no VAD."""
    segments, _ = engine._model.transcribe(
        audio, language="en", beam_size=1, temperature=0.0, vad_filter=False, condition_on_previous_text=False
    )
    return " ".join(s.text for s in segments)


def says_something_twice(reference: str, hypothesis: str) -> bool:
    """A run of three words the transcript says twice and the reference does not: a repeated
    sentence, or a fragment restarting one ("... round bowls. Rice is often")."""

    def twice(text: str) -> set[tuple[str, ...]]:
        words = normalize_text(text).split()
        grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
        return {g for g in grams if grams.count(g) > 1}

    return bool(twice(hypothesis) - twice(reference))


def check(clips: list[Clip], transcripts: list[str], baseline: float) -> None:
    repeated = [(c.id, t) for c, t in zip(clips, transcripts, strict=True) if says_something_twice(c.text, t)]
    assert not repeated
    earshot = corpus_wer((c.text, t) for c, t in zip(clips, transcripts, strict=True))
    assert earshot <= baseline + WER_MARGIN, f"Earshot WER {earshot:.3f}, plain tiny.en {baseline:.3f}"


def test_says_something_twice_spots_a_repeated_sentence_and_a_restart() -> None:
    reference = "Rice is often served in round bowls."
    assert says_something_twice(reference, "Rice is often served in round bowls. Rice is often")
    assert says_something_twice(reference, "Rice is often served in round bowls. Rice is often served in round bowls.")
    assert not says_something_twice(reference, "Rice is often served in round bowl.")


def test_whole_file_transcripts_of_real_voices_never_repeat_and_match_plain_whisper(
    clips: list[Clip], engine: FasterWhisperEngine, baseline_wer: float
) -> None:
    check(clips, [transcribe_audio(clip.audio, engine).text for clip in clips], baseline_wer)


def test_live_finals_of_real_voices_never_repeat_and_match_plain_whisper(
    clips: list[Clip], engine: FasterWhisperEngine, baseline_wer: float
) -> None:
    if clips[0].wire_format == "mulaw":
        pytest.skip("mu-law: test_live_phone_finals_match_plain_whisper_over_start_shifts")
    finals = asyncio.run(stream_clips(clips, engine))
    check(clips, [" ".join(f) for f in finals], baseline_wer)


def test_live_phone_finals_match_plain_whisper_over_start_shifts(
    clips: list[Clip], engine: FasterWhisperEngine, plain_wer: Callable[[list[Clip]], float]
) -> None:
    """Each shift moves the phone stream's first sample; plain tiny.en decodes the same 16 kHz
    audio the leg hears. Measured 2026-12-03: plain 0.034 / 0.051 / 0.038 / 0.038 / 0.058 (mean
    0.044), live finals 0.051 / 0.048 / 0.034 / 0.034 / 0.038 (mean 0.041)."""
    if clips[0].wire_format != "mulaw":
        pytest.skip("16 kHz: one start is within the margin there")
    plain_wers, live_wers = [], []
    for shift in MULAW_SHIFTS:
        shifted = [_shifted(clip, shift) for clip in clips]
        plain_wers.append(plain_wer(shifted))
        finals = [" ".join(f) for f in asyncio.run(stream_clips(shifted, engine))]
        repeated = [(c.id, t) for c, t in zip(shifted, finals, strict=True) if says_something_twice(c.text, t)]
        assert not repeated, f"at a shift of {shift} samples"
        live_wers.append(corpus_wer((c.text, t) for c, t in zip(shifted, finals, strict=True)))
    plain, live = float(np.mean(plain_wers)), float(np.mean(live_wers))
    assert live <= plain + WER_MARGIN, f"live finals {live_wers} (mean {live:.3f}), plain {plain_wers} ({plain:.3f})"


def _shifted(clip: Clip, samples: int) -> Clip:
    """`clip` as a phone stream starting `samples` later (earlier, with silence, if negative)."""
    wire = clip.wire[samples:] if samples >= 0 else b"\xff" * -samples + clip.wire
    decoder = create_decoder("mulaw")
    audio = np.concatenate([decoder.decode(wire), decoder.flush()])
    return Clip(clip.id, clip.text, audio, wire, clip.wire_format, samples)


async def stream_clips(clips: list[Clip], engine: FasterWhisperEngine) -> list[list[str]]:
    """Each clip through one live call leg, in 20 ms frames after 0.5 s of silence and before
    1 s of it: VAD, partials and the final, as on a call but faster than real time."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    pool = DecodePool(engine)
    pool.start()
    vad = SileroVadModel()
    finals: list[list[str]] = []
    with ThreadPoolExecutor(2) as audio_executor:
        for clip in clips:
            heard: list[str] = []

            async def emit(update: TranscriptUpdate, heard: list[str] = heard) -> None:
                if update.final:
                    heard.append(update.text)

            leg = LegTranscriber(
                leg=clip.id, pool=pool, vad_model=vad, audio_executor=audio_executor,
                settings=settings, emit=emit, offset_ms=lambda: 0,
            )  # fmt: skip
            leg.start(clip.wire_format)
            await _feed(leg.feed, _framed(clip))
            await leg.close()
            finals.append(heard)
    await pool.stop()
    return finals


def _framed(clip: Clip) -> list[bytes]:
    pcm = clip.wire_format == "pcm16"
    silent_ms = b"\x00\x00" * 16 if pcm else b"\xff" * 8  # 1 ms: 16 zero samples, or 8 mu-law zeros
    data = silent_ms * 500 + clip.wire + silent_ms * 1000
    size = FRAME_MS * len(silent_ms)
    return [data[i : i + size] for i in range(0, len(data), size)]


async def _feed(feed: Callable[[bytes], None], frames: list[bytes]) -> None:
    """Frames as fast as the leg takes them (its inbox is bounded), never dropping one."""
    for frame in frames:
        while True:
            try:
                feed(frame)
                break
            except AudioFormatError:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0)


def test_token_budget_is_exact(engine: FasterWhisperEngine) -> None:
    """A looping decode stops after exactly `token_budget` tokens and is known to be cut; a
    CTranslate2 that counts `max_length` differently fails here, not silently in production."""
    audio = load_audio_file(SPEECH_REAL / "audio" / "ieee-01-05.flac")  # loops with a 4 s context
    duration = audio.size / SAMPLE_RATE
    features = engine._model.feature_extractor(audio, padding=SAMPLE_RATE)
    before = ContextPolicy(padding_seconds=1, min_seconds=0, timestamps=False, retry_full_context=False)
    plain = FasterWhisperEngine(context=before)
    decoded = plain._decode(features, None, duration, before.frames(duration), beam_size=1, timestamps=False)
    assert decoded.cut_by_budget
    assert decoded.text.startswith("Rice is often served in round bowls. Rice is often")
    assert decoded.text_tokens == token_budget(duration)


def test_a_decode_that_repeats_itself_is_decoded_again_over_30_s() -> None:
    audio = load_audio_file(SPEECH_REAL / "audio" / "ieee-01-05.flac")
    engine = FasterWhisperEngine(context=ContextPolicy(padding_seconds=1, min_seconds=0, timestamps=False))
    assert engine.transcribe(audio).text == "Rice is often served in round bowls."
    assert engine.full_context_retries == 1


def test_a_telephone_voice_the_vad_doubts_keeps_its_first_words(tmp_path: Path) -> None:
    """Silero scores the first 1.7 s of this band-limited sentence at 0.02-0.45, under its 0.5
    threshold, though it is 40 dB over the line's noise; the utterance must still start there."""
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    _sox(SPEECH_REAL / "audio" / "ieee-01-10.flac", tmp_path / "clip.ul")  # "A large size in stockings ..."
    decoder = create_decoder("mulaw")
    data = b"\xff" * 4000 + (tmp_path / "clip.ul").read_bytes() + b"\xff" * 8000  # 0.5 s of silence before
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    events = [e for i in range(0, len(data), 160) for e in segmenter.feed(decoder.decode(data[i : i + 160]))]
    starts = [e.start_ms for e in events if isinstance(e, SpeechStarted)]
    assert starts and starts[0] <= 640  # the voice begins at 640 ms; 1208 ms before the onset look-back
