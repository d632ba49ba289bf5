"""Sample-rate conversion with libswresample (through PyAV), chunk by chunk or in one go."""

from __future__ import annotations

import logging

import av
import numpy as np

log = logging.getLogger(__name__)


class StreamResampler:
    """Mono float32 from `src_rate` to `dst_rate`; the filter state carries over between chunks,
    so chunk borders make no clicks and chunked output equals one-shot output."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=dst_rate)
        self._pts = 0

    def resample(self, samples: np.ndarray) -> np.ndarray:
        """The output for this chunk; the filter holds back a few samples until the next one."""
        if self.src_rate == self.dst_rate:
            return np.array(samples, dtype=np.float32).reshape(-1)
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
        """End of stream: the samples still inside the filter."""
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
        return np.array(samples, dtype=np.float32).reshape(-1)
    resampler = StreamResampler(src_rate, dst_rate)
    return np.concatenate([resampler.resample(samples), resampler.flush()])
