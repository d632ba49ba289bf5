"""Voice activity and utterance cutting with Silero VAD on real speech, silence, clicks and noise."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE
from earshot.audio.vad import (
    WINDOW,
    SileroVadModel,
    SileroVadStream,
    SpeechEnded,
    SpeechStarted,
    UtteranceSegmenter,
    VadEvent,
)

Turn = Callable[[str, str], np.ndarray]


def _segment(audio: np.ndarray, chunk: int | None = None, **options: float) -> list[VadEvent]:
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()), **options)  # type: ignore[arg-type]
    step = chunk or max(1, len(audio))
    events: list[VadEvent] = []
    for start in range(0, len(audio), step):
        events += segmenter.feed(audio[start : start + step])
    return events + segmenter.flush()


def _utterances(events: list[VadEvent]) -> list[SpeechEnded]:
    return [e for e in events if isinstance(e, SpeechEnded)]


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def _loud_span_ms(audio: np.ndarray) -> tuple[int, int]:
    """First and last 10 ms above -40 dBFS."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    loud = np.flatnonzero(20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9) > -40)
    return int(loud[0]) * 10, int(loud[-1] + 1) * 10


def _trimmed(audio: np.ndarray) -> np.ndarray:
    start, end = _loud_span_ms(audio)
    return audio[start * 16 : end * 16]


def test_the_model_is_loaded_once_and_shared() -> None:
    assert SileroVadModel().session is SileroVadModel().session


def test_probabilities_do_not_depend_on_how_the_audio_is_chunked(turn: Turn) -> None:
    audio = turn("d02-where-is-order", "02-customer")
    whole = SileroVadStream(SileroVadModel()).probabilities(audio)
    stream = SileroVadStream(SileroVadModel())
    chunked = [p for i in range(0, len(audio), 320) for p in stream.probabilities(audio[i : i + 320])]
    assert len(whole) == len(audio) // WINDOW
    assert np.allclose(whole, chunked, atol=1e-5)
    assert max(whole) > 0.9 and min(whole) < 0.2


def test_streams_sharing_the_model_across_threads_keep_their_own_state(turn: Turn) -> None:
    audios = [turn("d03-password", "02-customer"), turn("d05-cancel-gym", "03-customer")]
    model = SileroVadModel()
    alone = [SileroVadStream(model).probabilities(a) for a in audios]

    def chunked(audio: np.ndarray) -> list[float]:
        stream = SileroVadStream(model)
        return [p for i in range(0, len(audio), 640) for p in stream.probabilities(audio[i : i + 640])]

    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(chunked, audios * 3))
    for index, probabilities in enumerate(together):
        assert np.allclose(probabilities, alone[index % 2], atol=1e-5)


def test_one_turn_is_one_utterance_bracketing_the_speech(turn: Turn) -> None:
    audio = np.concatenate([_silence(1), turn("d02-where-is-order", "03-customer"), _silence(1)])
    speech_start, speech_end = _loud_span_ms(audio)
    events = _segment(audio)
    ended = _utterances(events)
    assert len(ended) == 1 and isinstance(events[0], SpeechStarted)
    assert speech_start - 300 <= ended[0].start_ms <= speech_start + 100
    assert speech_end - 100 <= ended[0].end_ms <= speech_end + 400
    assert abs(len(ended[0].audio) * 1000 / SAMPLE_RATE - (ended[0].end_ms - ended[0].start_ms)) < 2
    assert np.array_equal(ended[0].audio, audio[ended[0].start_ms * 16 : ended[0].start_ms * 16 + len(ended[0].audio)])


def test_two_turns_with_a_pause_are_two_utterances_however_the_audio_is_chunked(turn: Turn) -> None:
    first, second = turn("d03-password", "02-customer"), turn("d03-password", "03-customer")
    audio = np.concatenate([first, _silence(1.5), second])
    whole = [(e.start_ms, e.end_ms) for e in _utterances(_segment(audio))]
    chunked = [(e.start_ms, e.end_ms) for e in _utterances(_segment(audio, chunk=320))]  # 20 ms frames
    assert len(whole) == 2
    assert whole == chunked
    pause_start = len(first) * 1000 // SAMPLE_RATE
    assert whole[0][1] <= pause_start + 400 and whole[1][0] >= pause_start + 1500 - 400


def test_silence_hum_and_white_noise_make_no_utterance() -> None:
    rng = np.random.default_rng(3)
    assert _segment(_silence(3)) == []
    assert _segment((rng.standard_normal(5 * SAMPLE_RATE) * 0.1).astype(np.float32), chunk=320) == []
    hum = (0.1 * np.sin(2 * np.pi * 50 * np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    assert _segment(hum) == []
    clicks = _silence(3)
    clicks[::SAMPLE_RATE // 2] = 0.9
    assert _segment(clicks) == []


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
@pytest.mark.parametrize("colour", ["whitenoise", "pinknoise", "brownnoise"])
def test_coloured_noise_from_sox_makes_no_utterance(colour: str) -> None:
    command = ["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-"]
    raw = subprocess.run([*command, "synth", "5", colour, "vol", "0.3"], capture_output=True, check=True).stdout
    assert _segment(np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0) == []


def test_speech_shorter_than_min_speech_is_dropped(turn: Turn) -> None:
    burst = turn("d02-where-is-order", "03-customer")[8000:9600]  # 100 ms of a word
    audio = np.concatenate([_silence(1), burst, _silence(1)])
    assert _segment(audio) == []
    assert len(_utterances(_segment(audio, min_speech_ms=64))) == 1


def test_a_long_monologue_is_cut_at_quiet_points_without_losing_audio(turn: Turn) -> None:
    parts = [("d01-refund-headphones", "02-customer"), ("d04-unknown-charge", "02-customer"), ("d06-furious", "02-customer")]
    audio = np.concatenate([_trimmed(turn(call, name)) for call, name in parts])  # no pauses to cut at
    events = _segment(audio, chunk=320, max_utterance_s=4.0)
    ended = _utterances(events)
    assert len(ended) >= 3
    assert all(len(e.audio) <= 4 * SAMPLE_RATE for e in ended)
    for before, after in itertools.pairwise(ended):
        assert after.start_ms == before.end_ms, "each piece starts where the previous one was cut"
    assert ended[0].start_ms == 0 and ended[-1].end_ms >= len(audio) * 1000 // SAMPLE_RATE - 50
    joined = np.concatenate([e.audio for e in ended])
    assert np.array_equal(joined, audio[: len(joined)]), "the pieces put together are the speech"
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded] * len(ended)
    cut_levels = [np.sqrt(np.mean(audio[e.end_ms * 16 - 256 : e.end_ms * 16 + 256] ** 2)) for e in ended[:-1]]
    assert np.median(cut_levels) < 0.3 * np.sqrt(np.mean(audio**2)), "cuts fall in the quieter moments"
    assert [(e.start_ms, e.end_ms) for e in _utterances(_segment(audio, max_utterance_s=4.0))] == [
        (e.start_ms, e.end_ms) for e in ended
    ]


def test_current_exposes_the_utterance_in_progress_for_partials(turn: Turn) -> None:
    speech = turn("d02-where-is-order", "02-customer")
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    assert segmenter.feed(_silence(0.5)) == [] and segmenter.current() is None
    events = segmenter.feed(speech[: 2 * SAMPLE_RATE])
    assert [type(e) for e in events] == [SpeechStarted]
    current = segmenter.current()
    assert current is not None
    start_ms, audio = current
    assert start_ms == events[0].start_ms < 800
    assert len(audio) == 2 * SAMPLE_RATE + 8000 - start_ms * 16


def test_flush_closes_the_utterance_the_stream_ends_in(turn: Turn) -> None:
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    segmenter.feed(np.concatenate([_silence(0.5), turn("d07-printer", "02-customer")[: 2 * SAMPLE_RATE]]))
    ended = segmenter.flush()
    assert len(ended) == 1 and isinstance(ended[0], SpeechEnded)
    assert ended[0].end_ms > 2000 and segmenter.current() is None


def test_memory_stays_bounded_between_utterances(turn: Turn) -> None:
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()), speech_pad_ms=200)
    rng = np.random.default_rng(5)
    for _ in range(30 * 50):  # 30 s of quiet noise in 20 ms frames
        segmenter.feed((rng.standard_normal(320) * 0.01).astype(np.float32))
    assert segmenter.buffered_samples <= 200 * 16 + segmenter.onset_look_back + 2 * WINDOW
    segmenter.feed(np.concatenate([turn("d03-password", "01-agent"), _silence(1)]))
    assert segmenter.buffered_samples <= 200 * 16 + segmenter.onset_look_back + 2 * WINDOW, "a finished utterance is let go"


def test_end_now_ends_a_quiet_utterance_early_with_the_audio_a_full_silence_would_give(turn: Turn) -> None:
    speech = turn("d02-where-is-order", "03-customer")
    audio = np.concatenate([_silence(0.5), speech, _silence(1.5)])
    after_silence = _utterances(_segment(audio))[-1]
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    # 100 ms past the end a full silence gives (speech + 200 ms padding): quiet for about 300 ms,
    # less than the 500 ms that ends an utterance.
    heard = segmenter.feed(audio[: (after_silence.end_ms + 100) * SAMPLE_RATE // 1000])
    assert _utterances(heard) == _utterances(_segment(audio))[:-1]
    utterance = segmenter._open
    assert utterance is not None
    assert segmenter.end_now(utterance.last_speech_end + segmenter.pad - 1) is None, "only where a full silence would end it"
    ended = segmenter.end_now(utterance.last_speech_end + segmenter.pad)
    assert ended is not None and (ended.start_ms, ended.end_ms) == (after_silence.start_ms, after_silence.end_ms)
    assert np.array_equal(ended.audio, after_silence.audio)
    assert segmenter.current() is None and segmenter.end_now(utterance.last_speech_end + segmenter.pad) is None
    assert not _utterances(segmenter.feed(_silence(1.0))), "the rest of the silence ends nothing more"


def test_end_now_refuses_while_the_speaker_is_talking(turn: Turn) -> None:
    segmenter = UtteranceSegmenter(SileroVadStream(SileroVadModel()))
    segmenter.feed(np.concatenate([_silence(0.5), turn("d02-where-is-order", "03-customer")[: SAMPLE_RATE]]))
    utterance = segmenter._open
    assert utterance is not None and utterance.silent_run == 0
    assert segmenter.end_now(utterance.last_speech_end + segmenter.pad) is None
