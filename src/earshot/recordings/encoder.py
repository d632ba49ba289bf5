"""Two-channel Ogg/Opus files through PyAV (libopus): written in pieces, read back, spans silenced."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from earshot.audio.decode import SAMPLE_RATE

CHANNELS = 2  # 0: customer, 1: agent
BIT_RATE = 32_000  # speech, both channels: about 14 MB an hour (silence costs next to nothing)
MEDIA_TYPE = "audio/ogg"
SUFFIX = ".ogg"


class OpusWriter:
    """An Ogg/Opus file at 16 kHz, stereo; `write` takes float32 blocks shaped (2, n), each continuing the last."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(path), "w", format="ogg")
        self._stream = self._container.add_stream("libopus", rate=SAMPLE_RATE, layout="stereo")
        self._stream.bit_rate = BIT_RATE
        self._pts = 0

    def write(self, block: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block, np.float32), format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        self._pts += block.shape[1]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def abandon(self) -> None:
        try:
            self._container.close()
        except (av.error.FFmpegError, OSError):
            pass  # the file is being thrown away because writing it failed


def read_recording(path: Path) -> np.ndarray:
    """The file's audio as float32 (2, n) at 16 kHz (Opus decodes at 48 kHz)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        pieces = [out.to_ndarray() for frame in container.decode(stream) for out in resampler.resample(frame)]
        pieces += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(pieces, axis=1) if pieces else np.zeros((CHANNELS, 0), np.float32)


def silence_file(path: Path, spans: list[tuple[int, int]]) -> None:
    """Rewrite the file with these spans (in samples at 16 kHz) silent on both channels; atomic."""
    audio = read_recording(path)
    for start, end in spans:
        audio[:, max(start, 0) : max(end, 0)] = 0.0
    temporary = path.with_name(path.name + ".silencing")
    try:
        writer = OpusWriter(temporary)
        writer.write(audio)
        writer.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
