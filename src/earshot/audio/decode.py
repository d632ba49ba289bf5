"""Bytes in, float32 mono 16 kHz out: the browser's PCM16, telephony mu-law, WebM/Opus, files."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from earshot.audio.resample import StreamResampler, resample
from earshot.audio.webm import WebmDemuxer, WebmError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FORMATS = ("pcm16", "mulaw", "webm")
MULAW_RATE = 8000


class AudioFormatError(ValueError):
    """Bytes that are not audio of the declared format; the message says what was wrong."""


class StreamDecoder(Protocol):
    """Turns the chunks of one audio stream into 16 kHz mono float32, keeping state between chunks."""

    def decode(self, chunk: bytes) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


def _empty() -> np.ndarray:
    return np.zeros(0, np.float32)


def _clip(samples: np.ndarray) -> np.ndarray:
    """Resampling filters overshoot a little on full-scale peaks; keep the promised range."""
    return np.clip(samples, -1.0, 1.0, out=samples)


class Pcm16Decoder:
    """16 kHz signed 16-bit little-endian mono: the browser's wire format; no state needed."""

    def decode(self, chunk: bytes) -> np.ndarray:
        if len(chunk) % 2:
            raise AudioFormatError(f"PCM16 frames must have an even number of bytes, got {len(chunk)}")
        return np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0

    def flush(self) -> np.ndarray:
        return _empty()


def _mulaw_table() -> np.ndarray:
    """The 256 G.711 mu-law codes as floats (the codes are stored bit-inverted)."""
    codes = ~np.arange(256, dtype=np.uint8)
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa.astype(np.int32) << 3) + 0x84) << exponent) - 0x84
    linear = np.where(codes & 0x80, -magnitude, magnitude)
    return (linear / 32768.0).astype(np.float32)


MULAW_TO_FLOAT = _mulaw_table()


class MulawDecoder:
    """G.711 mu-law at 8 kHz (phone networks; Twilio sends 160-byte frames), upsampled to 16 kHz."""

    def __init__(self) -> None:
        self._resampler = StreamResampler(MULAW_RATE, SAMPLE_RATE)

    def decode(self, chunk: bytes) -> np.ndarray:
        return _clip(self._resampler.resample(MULAW_TO_FLOAT[np.frombuffer(chunk, dtype=np.uint8)]))

    def flush(self) -> np.ndarray:
        return _clip(self._resampler.flush())


class _MonoConverter:
    """Decoded PyAV frames of any format, layout and rate to 16 kHz mono float32."""

    def __init__(self) -> None:
        # Keep the channels through swresample and average them here: its own downmix adds
        # channels at -3 dB each without normalising, which pushes float audio past 1.0.
        self._resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)

    def convert(self, frames: Iterable[av.AudioFrame | None] | Iterable[av.AudioFrame]) -> list[np.ndarray]:
        pieces = []
        for frame in frames:
            for out in self._resampler.resample(frame):
                pieces.append(np.clip(out.to_ndarray().mean(axis=0, dtype=np.float32), -1.0, 1.0))
        return pieces


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(pieces).astype(np.float32, copy=False) if pieces else _empty()


class WebmOpusDecoder:
    """WebM/Opus from MediaRecorder: the first chunk holds the header, later ones continue it.

    The demuxer keeps only the unfinished element between chunks, and each complete Opus
    packet is decoded once, so every call returns just the new audio. A damaged block or
    packet is skipped; bytes that break the WebM framing raise AudioFormatError, and so does
    every later chunk of that stream (the sender must start a new stream).
    """

    def __init__(self) -> None:
        self._demuxer = WebmDemuxer("A_OPUS")
        self._codec: av.AudioCodecContext | None = None
        self._converter = _MonoConverter()

    def decode(self, chunk: bytes) -> np.ndarray:
        try:
            packets = self._demuxer.feed(chunk)
        except WebmError as exc:
            raise AudioFormatError(f"not a usable WebM/Opus stream: {exc}") from exc
        if not packets:
            return _empty()
        codec = self._codec or self._open_codec()
        return _join(self._converter.convert(self._decode_packets(codec, packets)))

    def flush(self) -> np.ndarray:
        frames = self._decode_packets(self._codec, [None]) if self._codec is not None else []
        return _join(self._converter.convert([*frames, None]))

    def _open_codec(self) -> av.AudioCodecContext:
        track = self._demuxer.track
        assert track is not None, "the demuxer returns packets only after the track list"
        codec = av.CodecContext.create("opus", "r")
        if track.codec_private:
            codec.extradata = track.codec_private  # OpusHead: channels, pre-skip, channel mapping
        codec.sample_rate = 48000
        codec.layout = "stereo" if track.channels == 2 else "mono"
        self._codec = codec
        return codec

    @staticmethod
    def _decode_packets(codec: av.AudioCodecContext, packets: Sequence[bytes | None]) -> list[av.AudioFrame]:
        """Decoded frames; one damaged packet costs its 20 ms, not the stream."""
        frames = []
        for payload in packets:
            try:
                frames.extend(codec.decode(None if payload is None else av.Packet(payload)))
            except av.error.FFmpegError as exc:
                log.warning("skipped an undecodable Opus packet: %s", exc)
        return frames


def create_decoder(audio_format: str) -> StreamDecoder:
    """A fresh decoder for one stream of `audio_format` ("pcm16", "mulaw" or "webm")."""
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
            converter = _MonoConverter()
            pieces = converter.convert(container.decode(stream))  # type: ignore[arg-type]  # audio stream
            pieces += converter.convert([None])
    except AudioFormatError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise AudioFormatError(f"{path}: cannot read audio: {exc}") from exc
    log.debug("loaded %s: %.1f s", path, sum(len(p) for p in pieces) / SAMPLE_RATE)
    return _join(pieces)


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as 16-bit little-endian PCM (what the browser sends)."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()


__all__ = [
    "FORMATS",
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
