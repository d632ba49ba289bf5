"""Utterance cutting with Silero VAD on real speech, silence and noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from earshot.audio.decode import SAMPLE_RATE, load_audio_file
from earshot.audio.vad import SileroVadModel, SileroVadStream, SpeechEnded, SpeechStarted, UtteranceSegmenter

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "calls" / "audio"


def _turn(call: str, name: str) -> np.ndarray:
    return load_audio_file(AUDIO / call / name)


def _segment(audio: np.ndarray, chunk: int | None = None, **options: float) -> list[SpeechStarted | SpeechEnded]:
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()), **options)  # type: ignore[arg-type]
    step = chunk or len(audio)
    events = []
    for start in range(0, len(audio), step):
        events += segmenter.feed(audio[start : start + step])
    return events + segmenter.flush()


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def _loud_span_ms(audio: np.ndarray) -> tuple[int, int]:
    """First and last 10 ms window above -40 dBFS."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    loud = np.flatnonzero(20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9) > -40)
    return int(loud[0]) * 10, int(loud[-1] + 1) * 10


def test_one_turn_is_one_utterance_bracketing_the_speech() -> None:
    audio = np.concatenate([_silence(1), _turn("d02-where-is-order", "03-customer.wav"), _silence(1)])
    speech_start, speech_end = _loud_span_ms(audio)
    events = _segment(audio)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1 and isinstance(events[0], SpeechStarted)
    assert speech_start - 300 <= ended[0].start_ms <= speech_start + 100
    assert speech_end - 100 <= ended[0].end_ms <= speech_end + 400
    assert abs(len(ended[0].audio) * 1000 / SAMPLE_RATE - (ended[0].end_ms - ended[0].start_ms)) < 2


def test_two_turns_with_a_pause_are_two_utterances_however_the_audio_is_chunked() -> None:
    audio = np.concatenate(
        [_turn("d03-password", "02-customer.wav"), _silence(1.5), _turn("d03-password", "03-customer.wav")]
    )
    whole = [(e.start_ms, e.end_ms) for e in _segment(audio) if isinstance(e, SpeechEnded)]
    chunked = [(e.start_ms, e.end_ms) for e in _segment(audio, chunk=320) if isinstance(e, SpeechEnded)]
    assert len(whole) == 2
    assert whole == chunked


def test_silence_and_noise_make_no_utterance() -> None:
    rng = np.random.default_rng(3)
    assert _segment(_silence(3)) == []
    assert _segment((rng.standard_normal(3 * SAMPLE_RATE) * 0.05).astype(np.float32)) == []
    hum = (0.1 * np.sin(2 * np.pi * 50 * np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    assert _segment(hum) == []


def test_a_long_monologue_is_cut_without_losing_audio() -> None:
    audio = np.concatenate([_turn("d01-refund-headphones", "02-customer.wav"), _turn("d04-unknown-charge", "02-customer.wav")])
    ended = [e for e in _segment(audio, chunk=320, max_utterance_s=4.0) if isinstance(e, SpeechEnded)]
    assert len(ended) >= 3
    assert all(len(e.audio) <= 4.1 * SAMPLE_RATE for e in ended)
    for before, after in zip(ended, ended[1:], strict=False):
        assert after.start_ms <= before.end_ms + 1000, "consecutive pieces leave no gap inside speech"
    covered = sum(len(e.audio) for e in ended) / SAMPLE_RATE
    assert covered >= 0.85 * len(audio) / SAMPLE_RATE


def test_current_exposes_the_utterance_in_progress_for_partials() -> None:
    turn = _turn("d02-where-is-order", "02-customer.wav")
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    segmenter.feed(np.concatenate([_silence(0.5), turn[: 2 * SAMPLE_RATE]]))
    current = segmenter.current()
    assert current is not None
    start_ms, audio = current
    assert start_ms < 800 and len(audio) > SAMPLE_RATE
