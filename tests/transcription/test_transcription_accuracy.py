"""tiny.en int8 on the scripted calls: word error rate against the exact script.

Measured on this machine (greedy decoding, filters applied), over the 17 customer turns:
16 kHz WER 0.286, 8 kHz mu-law telephone copies WER 0.474. The bounds leave a little room
for CTranslate2 builds that round differently, and fail on any real regression. WAVs are
read here with the standard library and numpy only, independently of Earshot's decoder.
"""

from __future__ import annotations

import csv
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from earshot.config import Settings
from earshot.transcription import SttEngine, Transcription, create_engine
from earshot.transcription.filters import clean
from earshot.transcription.offline import (
    MAX_WINDOW_SECONDS,
    speech_windows,
    transcribe_audio,
)
from earshot.transcription.wer import corpus_wer, normalize_text, wer
from tests.harness import CALLS_AUDIO

AUDIO_DIR = CALLS_AUDIO
WER_BOUND_16K = 0.33
WER_BOUND_8K_ULAW = 0.52
WAVE_FORMAT_MULAW = 7


@dataclass(frozen=True)
class Turn:
    call: str
    speaker: str
    text: str
    wav16k: Path
    wav8k_ulaw: Path


def read_pcm16_wav(path: Path) -> np.ndarray:
    """A 16 kHz mono PCM16 WAV as float32 in [-1, 1]."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16_000), path
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def read_ulaw_wav_as_16k(path: Path) -> np.ndarray:
    """An 8 kHz G.711 mu-law WAV (which `wave` cannot read), decoded and resampled to 16 kHz."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks[chunk_id] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    assert struct.unpack("<HHI", chunks[b"fmt "][:8]) == (WAVE_FORMAT_MULAW, 1, 8000), path
    codes = ~np.frombuffer(chunks[b"data"], dtype=np.uint8).astype(np.int32) & 0xFF
    magnitude = (((codes & 0x0F) << 3) + 0x84) << ((codes >> 4) & 0x07)
    narrowband = (np.where(codes & 0x80, 0x84 - magnitude, magnitude - 0x84) / 32768.0).astype(np.float32)
    # Band-limited 2x upsampling: zero-pad the spectrum.
    spectrum = np.zeros(narrowband.size + 1, dtype=complex)
    half = np.fft.rfft(narrowband)
    spectrum[: half.size] = half
    return (np.fft.irfft(spectrum, n=narrowband.size * 2) * 2).astype(np.float32)


def load_turns() -> list[Turn]:
    with (AUDIO_DIR / "manifest.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Turn(row["call"], row["speaker"], row["text"], AUDIO_DIR / row["wav16k"], AUDIO_DIR / row["wav8k_ulaw"])
        for row in rows
    ]


@pytest.fixture(scope="module")
def engine() -> SttEngine:
    return create_engine(Settings(_env_file=None, stt_engine="faster-whisper", stt_model="tiny.en"))  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def customer_turns() -> list[Turn]:
    return [turn for turn in load_turns() if turn.speaker == "customer"]


def _corpus_wer(engine: SttEngine, turns: list[Turn], read: Callable[[Path], np.ndarray], attr: str) -> float:
    pairs = [(turn.text, clean(engine.transcribe(read(getattr(turn, attr)))).text) for turn in turns]
    for reference, hypothesis in pairs:
        assert hypothesis, f"nothing transcribed for {reference!r}"
    return corpus_wer(pairs)


def test_customer_turns_at_16k_transcribe_within_the_wer_bound(
    engine: SttEngine, customer_turns: list[Turn], record_property: Callable[[str, object], None]
) -> None:
    score = _corpus_wer(engine, customer_turns, read_pcm16_wav, "wav16k")
    record_property("wer_16k", score)
    print(f"tiny.en int8 WER on {len(customer_turns)} customer turns, 16 kHz: {score:.3f}")
    assert score <= WER_BOUND_16K


def test_customer_turns_from_8k_mulaw_phone_audio_transcribe_within_the_wer_bound(
    engine: SttEngine, customer_turns: list[Turn], record_property: Callable[[str, object], None]
) -> None:
    score = _corpus_wer(engine, customer_turns, read_ulaw_wav_as_16k, "wav8k_ulaw")
    record_property("wer_8k_ulaw", score)
    print(f"tiny.en int8 WER on {len(customer_turns)} customer turns, 8 kHz mu-law: {score:.3f}")
    assert score <= WER_BOUND_8K_ULAW


def test_a_clear_turn_is_transcribed_exactly(engine: SttEngine, customer_turns: list[Turn]) -> None:
    turn = next(t for t in customer_turns if t.text == "Can you tell me where it is right now?")
    assert normalize_text(engine.transcribe(read_pcm16_wav(turn.wav16k)).text) == normalize_text(turn.text)


def test_prompt_biases_spelling_towards_known_names(engine: SttEngine) -> None:
    greeting = read_pcm16_wav(load_turns()[0].wav16k)  # "Hello, thanks for calling Acme support. ..."
    assert "acme" not in engine.transcribe(greeting).text.lower()  # tiny.en alone hears "out me"
    assert "Acme" in engine.transcribe(greeting, prompt="Acme support.").text


def test_a_whole_call_is_cut_into_windows_at_pauses_and_transcribed(engine: SttEngine) -> None:
    calls = {"d01-refund-headphones", "d02-where-is-order", "d03-password", "d04-unknown-charge"}
    turns = [turn for turn in load_turns() if turn.call in calls]
    pause = np.zeros(16_000, dtype=np.float32)
    call = np.concatenate([part for turn in turns for part in (read_pcm16_wav(turn.wav16k), pause)])
    windows = speech_windows(call)
    assert call.size / 16_000 > 2 * MAX_WINDOW_SECONDS and len(windows) >= 3
    for start, end in windows:
        assert end - start <= MAX_WINDOW_SECONDS * 16_000
        assert np.abs(call[max(end - 160, 0) : end]).max() < 0.01, "a window ends inside speech"
    transcription = transcribe_audio(call, engine)
    assert transcription.duration == pytest.approx(call.size / 16_000)
    assert 0 < transcription.segments[-1].end <= transcription.duration
    assert wer(" ".join(turn.text for turn in turns), transcription.text) <= WER_BOUND_16K


class _Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def transcribe(
        self, audio: np.ndarray, *, prompt: str | None = None, final: bool = False, narrowband: bool = False
    ) -> Transcription:
        self.sizes.append(audio.size)
        return Transcription(text="", segments=())


def test_silent_stretches_of_a_long_file_are_not_sent_to_the_engine() -> None:
    tone = (0.3 * np.sin(np.arange(16_000 * 5) * 0.1)).astype(np.float32)
    audio = np.concatenate([tone, np.zeros(16_000 * 70, dtype=np.float32), tone])
    recorder = _Recorder()
    transcribe_audio(audio, recorder)
    assert len(recorder.sizes) == 2  # 80 s in: one window holding each tone, the silence between skipped
    assert all(size <= MAX_WINDOW_SECONDS * 16_000 for size in recorder.sizes)
