"""Bytes in, float32 mono 16 kHz out: the browser's PCM16, telephony mu-law, WebM/Opus, files."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from earshot.audio.resample import StreamResampler, resample

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FORMATS = ("pcm16", "mulaw", "webm")


class AudioFormatError(ValueError):
    """Bytes that are not audio of the declared format."""


class StreamDecoder(Protocol):
    def decode(self, chunk: bytes) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


class Pcm16Decoder:
    """16 kHz signed 16-bit little-endian mono: the browser's wire format; no state needed."""

    def decode(self, chunk: bytes) -> np.ndarray:
        if len(chunk) % 2:
            raise AudioFormatError("PCM16 frames must have an even number of bytes")
        return np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32)


def _mulaw_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.uint8)
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    linear = np.where(sign != 0, 0x84 - magnitude, magnitude - 0x84)
    return (linear / 32768.0).astype(np.float32)


MULAW_TO_FLOAT = _mulaw_table()


class MulawDecoder:
    """G.711 mu-law at 8 kHz (phone networks; Twilio sends 160-byte frames), upsampled to 16 kHz."""

    def __init__(self) -> None:
        self._resampler = StreamResampler(8000, SAMPLE_RATE)

    def decode(self, chunk: bytes) -> np.ndarray:
        return self._resampler.resample(MULAW_TO_FLOAT[np.frombuffer(chunk, dtype=np.uint8)])

    def flush(self) -> np.ndarray:
        return self._resampler.flush()


class _GrowingBuffer(io.RawIOBase):
    """A read-only file whose end moves as chunks arrive; reading past it ends the current pass."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        available = self.data[self.position : self.position + len(buffer)]
        buffer[: len(available)] = available
        self.position += len(available)
        return len(available)


class WebmOpusDecoder:
    """WebM/Opus from MediaRecorder: the first chunk holds the header, later ones continue it.

    Each call demuxes the packets completed so far and decodes only the new ones, so a chunk
    that ends mid-cluster is finished by the next chunk.
    """

    MAX_BYTES = 64 * 1024 * 1024  # about 3 hours of Opus at 48 kbit/s

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._decoded_packets = 0
        self._codec: av.CodecContext | None = None
        self._resampler = StreamResampler(48000, SAMPLE_RATE)

    def decode(self, chunk: bytes) -> np.ndarray:
        self._buffer.extend(chunk)
        if len(self._buffer) > self.MAX_BYTES:
            raise AudioFormatError("WebM stream too long; start a new audio stream")
        try:
            container = av.open(io.BytesIO(bytes(self._buffer)), format="webm", mode="r")
        except (av.error.InvalidDataError, av.error.EOFError) as exc:
            if len(self._buffer) < 4096:
                return np.zeros(0, np.float32)  # the header may not be complete yet
            raise AudioFormatError(f"not a WebM/Opus stream: {exc}") from exc
        try:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioFormatError("the WebM stream has no audio track")
            if self._codec is None:
                self._codec = av.CodecContext.create(stream.codec_context.name, "r")
                self._codec.extradata = stream.codec_context.extradata
            packets = []
            try:
                for packet in container.demux(stream):
                    if packet.size:
                        packets.append(packet)
            except (av.error.InvalidDataError, av.error.EOFError):
                pass  # a packet cut by the chunk border; it is complete next time
        finally:
            container.close()
        # The last demuxed packet may be truncated; keep it for the next pass.
        fresh = packets[self._decoded_packets : max(self._decoded_packets, len(packets) - 1)]
        self._decoded_packets += len(fresh)
        return self._decode_packets(fresh)

    def _decode_packets(self, packets: list[av.Packet]) -> np.ndarray:
        assert self._codec is not None or not packets
        pieces = []
        for packet in packets:
            try:
                for frame in self._codec.decode(packet):  # type: ignore[union-attr]
                    pieces.append(self._to_mono_16k(frame))
            except av.error.InvalidDataError as exc:
                raise AudioFormatError(f"undecodable Opus packet: {exc}") from exc
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def _to_mono_16k(self, frame: av.AudioFrame) -> np.ndarray:
        samples = frame.to_ndarray().astype(np.float32)
        if frame.format.is_planar:
            mono = samples.mean(axis=0)
        else:
            mono = samples.reshape(-1, len(frame.layout.channels)).mean(axis=1)
        if frame.format.name.startswith("s16"):
            mono = mono / 32768.0
        if frame.sample_rate != self._resampler.src_rate:
            self._resampler = StreamResampler(frame.sample_rate, SAMPLE_RATE)
        return self._resampler.resample(mono)

    def flush(self) -> np.ndarray:
        container_packets: list[av.Packet] = []
        if self._buffer:
            try:
                with av.open(io.BytesIO(bytes(self._buffer)), format="webm", mode="r") as container:
                    stream = next(s for s in container.streams if s.type == "audio")
                    container_packets = [p for p in container.demux(stream) if p.size]
            except (av.error.FFmpegError, StopIteration):
                container_packets = []
        tail = self._decode_packets(container_packets[self._decoded_packets :])
        self._decoded_packets = len(container_packets)
        return np.concatenate([tail, self._resampler.flush()])


def create_decoder(audio_format: str) -> StreamDecoder:
    if audio_format == "pcm16":
        return Pcm16Decoder()
    if audio_format == "mulaw":
        return MulawDecoder()
    if audio_format == "webm":
        return WebmOpusDecoder()
    raise AudioFormatError(f"unsupported audio format {audio_format!r}; use one of {', '.join(FORMATS)}")


def load_audio_file(path: str | Path) -> np.ndarray:
    """Any file PyAV reads (WAV, mu-law WAV, FLAC, MP3, WebM, Ogg...) as 16 kHz mono float32."""
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioFormatError(f"{path}: no audio track")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            pieces = []
            for frame in container.decode(stream):
                pieces.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            pieces.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioFormatError(f"{path}: cannot read audio: {exc}") from exc
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as 16-bit little-endian PCM (what the browser sends)."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


__all__ = [
    "SAMPLE_RATE",
    "AudioFormatError",
    "MulawDecoder",
    "Pcm16Decoder",
    "StreamDecoder",
    "WebmOpusDecoder",
    "create_decoder",
    "float_to_pcm16",
    "load_audio_file",
    "resample",
]
