"""Decoding the wire formats and audio files to 16 kHz mono float32."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from earshot.audio.decode import (
    SAMPLE_RATE,
    AudioFormatError,
    MulawDecoder,
    Pcm16Decoder,
    WebmOpusDecoder,
    create_decoder,
    float_to_pcm16,
    load_audio_file,
)

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "calls" / "audio"
TURN = AUDIO / "d01-refund-headphones" / "02-customer.wav"
TURN_ULAW = AUDIO / "d01-refund-headphones" / "02-customer.ulaw.wav"


def _wav_data_chunk(path: Path) -> bytes:
    raw = path.read_bytes()
    index = raw.find(b"data")
    size = int.from_bytes(raw[index + 4 : index + 8], "little")
    return raw[index + 8 : index + 8 + size]


def _encode(samples: np.ndarray, container: str, codec: str, rate: int = 48000) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate)
        stream.layout = "mono"
        resampled = np.interp(np.arange(len(samples) * rate // SAMPLE_RATE) * SAMPLE_RATE / rate, np.arange(len(samples)), samples)
        frame = av.AudioFrame.from_ndarray(resampled.astype(np.float32).reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return buffer.getvalue()


def test_pcm16_round_trip_and_odd_length_is_an_error() -> None:
    samples = np.sin(np.linspace(0, 200, SAMPLE_RATE)).astype(np.float32) * 0.5
    decoded = Pcm16Decoder().decode(float_to_pcm16(samples))
    assert np.max(np.abs(decoded - samples)) < 1e-3
    with pytest.raises(AudioFormatError):
        Pcm16Decoder().decode(b"\x00\x01\x02")


def test_mulaw_phone_frames_decode_to_the_same_speech_as_the_16k_copy() -> None:
    data = _wav_data_chunk(TURN_ULAW)
    decoder = MulawDecoder()
    chunked = np.concatenate([decoder.decode(data[i : i + 160]) for i in range(0, len(data), 160)] + [decoder.flush()])
    whole_decoder = MulawDecoder()
    whole = np.concatenate([whole_decoder.decode(data), whole_decoder.flush()])
    assert np.allclose(chunked, whole, atol=1e-4), "20 ms chunks decode like one piece"
    wideband = load_audio_file(TURN)
    assert abs(len(chunked) - len(wideband)) < 0.02 * SAMPLE_RATE

    def envelope(x: np.ndarray) -> np.ndarray:
        return np.sqrt(np.mean(x[: len(x) // 320 * 320].reshape(-1, 320) ** 2, axis=1))

    n = min(len(chunked), len(wideband))
    assert np.corrcoef(envelope(chunked[:n]), envelope(wideband[:n]))[0, 1] > 0.9


def test_webm_opus_fed_in_small_chunks_decodes_the_whole_stream() -> None:
    original = load_audio_file(TURN)
    data = _encode(original, "webm", "libopus")
    decoder = WebmOpusDecoder()
    pieces = [decoder.decode(data[i : i + 1500]) for i in range(0, len(data), 1500)]
    decoded = np.concatenate([*pieces, decoder.flush()])
    assert abs(len(decoded) - len(original)) < 0.1 * SAMPLE_RATE
    assert sum(len(p) for p in pieces[:-1]) > 0, "audio comes out while the stream is still arriving"


def test_garbage_declared_as_webm_is_an_error() -> None:
    with pytest.raises(AudioFormatError):
        WebmOpusDecoder().decode(b"definitely not a webm stream " * 300)


def test_unknown_format_is_an_error_naming_the_supported_ones() -> None:
    with pytest.raises(AudioFormatError, match="pcm16, mulaw, webm"):
        create_decoder("mp3")


@pytest.mark.parametrize(("container", "codec", "suffix"), [("mp3", "libmp3lame", ".mp3"), ("flac", "flac", ".flac")])
def test_files_of_any_format_and_rate_load_as_16k_mono(tmp_path: Path, container: str, codec: str, suffix: str) -> None:
    original = load_audio_file(TURN)
    path = tmp_path / f"turn{suffix}"
    path.write_bytes(_encode(original, container, codec, rate=44100))
    loaded = load_audio_file(path)
    assert abs(len(loaded) - len(original)) < 0.1 * SAMPLE_RATE
    assert loaded.dtype == np.float32


def test_mulaw_wav_file_loads(tmp_path: Path) -> None:
    assert abs(len(load_audio_file(TURN_ULAW)) - len(load_audio_file(TURN))) < 0.02 * SAMPLE_RATE


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioFormatError, match="cannot read audio"):
        load_audio_file(bad)
