"""Sample-rate conversion with libswresample (through PyAV), chunk by chunk or in one go."""

from __future__ import annotations

import av
import numpy as np


class StreamResampler:
    """Keeps the filter state between chunks, so chunk borders make no clicks."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=dst_rate)
        self._pts = 0

    def resample(self, samples: np.ndarray) -> np.ndarray:
        if self.src_rate == self.dst_rate:
            return np.asarray(samples, dtype=np.float32)
        if len(samples) == 0:
            return np.zeros(0, np.float32)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = self.src_rate
        frame.pts = self._pts
        self._pts += len(samples)
        return _concat(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        if self.src_rate == self.dst_rate:
            return np.zeros(0, np.float32)
        return _concat(self._resampler.resample(None))


def _concat(frames: list[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return np.zeros(0, np.float32)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32, copy=False)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot conversion of a whole signal."""
    if src_rate == dst_rate:
        return np.asarray(samples, dtype=np.float32)
    resampler = StreamResampler(src_rate, dst_rate)
    return np.concatenate([resampler.resample(samples), resampler.flush()])
