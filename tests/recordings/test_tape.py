"""The tape alone: legs placed on the call's timeline, spans silenced, retention; decoded back with PyAV."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16
from earshot.recordings.encoder import read_recording
from earshot.recordings.retention import DAY_SECONDS, sweep_expired
from earshot.recordings.tape import Tape

RATE = SAMPLE_RATE


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    return (0.5 * np.sin(np.arange(int(seconds * RATE)) * 2 * np.pi * hz / RATE)).astype(np.float32)


def rms(audio: np.ndarray, start_s: float, end_s: float) -> float:
    piece = audio[int(start_s * RATE) : int(end_s * RATE)]
    return float(np.sqrt(np.mean(piece**2))) if len(piece) else 0.0


def feed(tape: Tape, channel: int, samples: np.ndarray, offset_ms: int, frame_s: float = 0.02) -> None:
    step = int(frame_s * RATE)
    for i in range(0, len(samples), step):
        tape.frame(channel, float_to_pcm16(samples[i : i + step]), offset_ms)


def test_each_leg_lands_at_its_arrival_offset_with_silence_between(tmp_path: Path) -> None:
    tape = Tape(tmp_path / "c.ogg", hold_back_ms=1000)
    feed(tape, 0, tone(1.0), offset_ms=2000)  # the customer from 2 s
    feed(tape, 1, tone(1.0, 660.0), offset_ms=3500)  # the agent from 3.5 s
    tape.encode_until(4000)  # some of it encoded early, the rest at finish
    path = tape.finish()
    assert path is not None and path.exists() and not tape.part.exists()
    audio = read_recording(path)
    assert audio.shape[0] == 2 and abs(audio.shape[1] / RATE - 4.5) < 0.05
    customer, agent = audio
    assert rms(customer, 0.1, 1.9) < 0.005 and rms(customer, 2.1, 2.9) > 0.2 and rms(customer, 3.1, 4.4) < 0.005
    assert rms(agent, 0.1, 3.4) < 0.005 and rms(agent, 3.6, 4.4) > 0.2


def test_a_stream_runs_on_sample_by_sample_until_it_stops(tmp_path: Path) -> None:
    """Frames of one stream follow each other whatever their arrival; a new stream starts where the call is."""
    tape = Tape(tmp_path / "c.ogg", hold_back_ms=1000)
    feed(tape, 0, tone(1.0), offset_ms=500)  # all arrived "at once": still 0.5-1.5 s
    tape.stop(0)
    feed(tape, 0, tone(0.5), offset_ms=3000)
    audio = read_recording(tape.finish())  # type: ignore[arg-type]
    assert rms(audio[0], 0.6, 1.4) > 0.2 and rms(audio[0], 1.6, 2.9) < 0.005 and rms(audio[0], 3.1, 3.4) > 0.2


def test_spans_are_silenced_on_both_channels_before_and_after_encoding(tmp_path: Path) -> None:
    tape = Tape(tmp_path / "c.ogg", hold_back_ms=1000)
    feed(tape, 0, tone(6.0), offset_ms=0)
    feed(tape, 1, tone(6.0, 660.0), offset_ms=0)
    tape.silence(4000, 5000)  # still held back when it arrives
    tape.encode_until(4000)  # 0-3 s encoded
    tape.silence(1000, 2000)  # too late for the held audio: the file is rewritten at finish
    audio = read_recording(tape.finish())  # type: ignore[arg-type]
    for channel in audio:
        assert rms(channel, 1.05, 1.95) < 0.005 and rms(channel, 4.05, 4.95) < 0.005
        assert rms(channel, 0.1, 0.9) > 0.2 and rms(channel, 2.1, 3.9) > 0.2 and rms(channel, 5.1, 5.9) > 0.2


def test_nothing_heard_leaves_no_file(tmp_path: Path) -> None:
    tape = Tape(tmp_path / "c.ogg", hold_back_ms=1000)
    assert tape.finish() is None and not list(tmp_path.iterdir())


def test_retention_deletes_old_recordings_and_crash_leftovers_only(tmp_path: Path) -> None:
    now = time.time()
    ages = {"old.ogg": 31, "new.ogg": 29, "old.ogg.part": 32, "fresh.ogg.part": 30.5, "notes.txt": 99}
    for name, days in ages.items():
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - days * DAY_SECONDS, now - days * DAY_SECONDS))
    assert sweep_expired(tmp_path, 30, now) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.ogg.part", "new.ogg", "notes.txt"]
    assert sweep_expired(tmp_path, 0, now) == 0  # 0 keeps everything
