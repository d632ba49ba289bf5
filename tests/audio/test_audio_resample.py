"""Streaming sample-rate conversion: chunked equals one-shot, and pitch and duration survive."""

from __future__ import annotations

import numpy as np
import pytest

from earshot.audio.resample import StreamResampler, resample


def _tone(hz: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (48000, 16000), (44100, 16000), (16000, 8000)])
def test_chunked_resampling_equals_one_shot(src: int, dst: int) -> None:
    tone = _tone(440, src)
    resampler = StreamResampler(src, dst)
    step = src // 50  # 20 ms
    chunked = np.concatenate([*(resampler.resample(tone[i : i + step]) for i in range(0, len(tone), step)), resampler.flush()])
    whole = resample(tone, src, dst)
    assert chunked.dtype == np.float32
    assert abs(len(whole) - dst) <= 2
    assert np.allclose(chunked, whole, atol=1e-5), "no clicks or drift at chunk borders"
    assert abs(_peak_hz(whole, dst) - 440) < 2


def test_same_rate_is_a_copy() -> None:
    tone = _tone(440, 16000)
    out = resample(tone, 16000, 16000)
    assert np.array_equal(out, tone) and out is not tone
