"""Decoding the wire formats and audio files to 16 kHz mono float32."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from earshot.audio.decode import (
    MULAW_TO_FLOAT,
    SAMPLE_RATE,
    AudioFormatError,
    MulawDecoder,
    Pcm16Decoder,
    StreamDecoder,
    WebmOpusDecoder,
    create_decoder,
    float_to_pcm16,
    load_audio_file,
)
from earshot.audio.resample import resample

CALL, NAME = "d01-refund-headphones", "02-customer"
CHROME_WEBM = Path(__file__).with_name("chrome_mediarecorder.webm")  # 3 s from Chromium's MediaRecorder


def _wav_data_chunk(path: Path) -> bytes:
    raw = path.read_bytes()
    index = raw.find(b"data")
    size = int.from_bytes(raw[index + 4 : index + 8], "little")
    return raw[index + 8 : index + 8 + size]


def _encode(samples: np.ndarray, container: str, codec: str, rate: int = 48000, channels: int = 1) -> bytes:
    """Encode 16 kHz mono samples with PyAV, at `rate` and with `channels` identical channels."""
    layout = "stereo" if channels == 2 else "mono"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate)
        assert isinstance(stream, av.audio.stream.AudioStream)
        stream.layout = layout
        planar = np.repeat(resample(samples, SAMPLE_RATE, rate)[None], channels, axis=0)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar.T).reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return buffer.getvalue()


def _stream(decoder: StreamDecoder, data: bytes, step: int) -> list[np.ndarray]:
    pieces = [decoder.decode(data[i : i + step]) for i in range(0, len(data), step)]
    return [*pieces, decoder.flush()]


def _envelope(x: np.ndarray) -> np.ndarray:
    """RMS per 20 ms."""
    return np.sqrt(np.mean(x[: len(x) // 320 * 320].reshape(-1, 320) ** 2, axis=1))


def _similar(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(_envelope(a[:n]), _envelope(b[:n]))[0, 1])


def test_pcm16_round_trip_and_odd_length_is_an_error() -> None:
    samples = np.sin(np.linspace(0, 200, SAMPLE_RATE)).astype(np.float32) * 0.5
    decoded = Pcm16Decoder().decode(float_to_pcm16(samples))
    assert decoded.dtype == np.float32
    assert np.max(np.abs(decoded - samples)) < 1e-4
    assert len(Pcm16Decoder().decode(b"")) == 0
    with pytest.raises(AudioFormatError, match="even number of bytes"):
        Pcm16Decoder().decode(b"\x00\x01\x02")


def test_float_to_pcm16_clips_out_of_range_samples() -> None:
    pcm = np.frombuffer(float_to_pcm16(np.array([-2.0, -1.0, 0.0, 1.0, 2.0], np.float32)), "<i2")
    assert pcm.tolist() == [-32767, -32767, 0, 32767, 32767]


def test_mulaw_table_matches_ffmpeg_g711() -> None:
    codec = av.CodecContext.create("pcm_mulaw", "r")
    codec.sample_rate, codec.layout = 8000, "mono"
    reference = np.concatenate([f.to_ndarray().reshape(-1) for f in codec.decode(av.Packet(bytes(range(256))))])
    assert np.array_equal(MULAW_TO_FLOAT * 32768, reference.astype(np.float32))


def test_mulaw_phone_frames_decode_to_the_same_speech_as_the_16k_copy(calls_audio: Path) -> None:
    data = _wav_data_chunk(calls_audio / CALL / f"{NAME}.ulaw.wav")
    chunked = np.concatenate(_stream(MulawDecoder(), data, 160))  # Twilio: 20 ms per frame
    whole = np.concatenate(_stream(MulawDecoder(), data, len(data)))
    assert np.allclose(chunked, whole, atol=1e-5), "20 ms frames decode exactly like one piece"
    assert np.max(np.abs(chunked)) <= 1.0
    wideband = load_audio_file(calls_audio / CALL / f"{NAME}.wav")
    assert abs(len(chunked) - len(wideband)) < 0.02 * SAMPLE_RATE
    assert _similar(chunked, wideband) > 0.9


def test_webm_opus_fed_in_small_chunks_decodes_the_whole_stream(turn: Callable[[str, str], np.ndarray]) -> None:
    original = turn(CALL, NAME)
    data = _encode(original, "webm", "libopus")
    pieces = _stream(WebmOpusDecoder(), data, 700)
    decoded = np.concatenate(pieces)
    assert decoded.dtype == np.float32
    assert abs(len(decoded) - len(original)) < 0.05 * SAMPLE_RATE
    assert sum(len(p) for p in pieces[: len(pieces) // 2]) > 0.3 * len(original), "audio comes out as it arrives"
    assert _similar(decoded, original) > 0.95


def test_stereo_webm_is_mixed_down_to_mono(turn: Callable[[str, str], np.ndarray]) -> None:
    original = turn(CALL, NAME)
    decoded = np.concatenate(_stream(WebmOpusDecoder(), _encode(original, "webm", "libopus", channels=2), 4000))
    assert abs(len(decoded) - len(original)) < 0.05 * SAMPLE_RATE
    assert _similar(decoded, original) > 0.95
    assert np.max(np.abs(decoded)) <= 1.0


def test_chrome_mediarecorder_stream_decodes_chunk_by_chunk() -> None:
    """Chromium writes a live WebM: Segment and Clusters of unknown size, one header up front."""
    data = CHROME_WEBM.read_bytes()
    reference = load_audio_file(CHROME_WEBM)
    for step in (1200, 97, 7):
        decoded = np.concatenate(_stream(create_decoder("webm"), data, step))
        assert abs(len(decoded) / SAMPLE_RATE - 3.0) < 0.05
        assert np.allclose(decoded[: len(reference)], reference[: len(decoded)], atol=1e-4)
    assert np.sqrt(np.mean(reference**2)) > 0.01, "the recording holds speech, not silence"


@pytest.mark.parametrize(
    "garbage",
    [
        b"x",
        b"definitely not a webm stream " * 300,
        np.random.default_rng(7).bytes(20000),
        b"\x1a\x45\xdf\xa3" + b"\xff" * 64,  # an EBML id with nonsense after it
        CHROME_WEBM.read_bytes()[:300] + np.random.default_rng(8).bytes(5000),  # good header, then noise
    ],
    ids=["one-byte", "text", "random", "bad-header", "header-then-noise"],
)
def test_garbage_declared_as_webm_is_an_error(garbage: bytes) -> None:
    decoder = WebmOpusDecoder()
    with pytest.raises(AudioFormatError, match="WebM"):
        for i in range(0, len(garbage), 1000):
            decoder.decode(garbage[i : i + 1000])


def test_a_garbled_opus_packet_costs_only_its_own_audio(turn: Callable[[str, str], np.ndarray]) -> None:
    original = turn(CALL, NAME)
    data = bytearray(_encode(original, "webm", "libopus"))
    clean = np.concatenate(_stream(WebmOpusDecoder(), bytes(data), 1000))
    middle = len(data) // 2
    data[middle : middle + 40] = bytes(40)  # zeroes inside one block's Opus payload; the framing holds
    garbled = np.concatenate(_stream(WebmOpusDecoder(), bytes(data), 1000))
    assert abs(len(garbled) - len(clean)) <= 0.1 * SAMPLE_RATE
    assert _similar(garbled, clean) > 0.9


def test_webm_without_an_opus_track_is_an_error(turn: Callable[[str, str], np.ndarray]) -> None:
    mp3_in_matroska = _encode(turn(CALL, NAME)[:SAMPLE_RATE], "matroska", "libmp3lame", rate=44100)
    with pytest.raises(AudioFormatError, match="A_MPEG"):
        WebmOpusDecoder().decode(mp3_in_matroska)


def test_create_decoder_knows_the_wire_formats_and_names_them_when_asked_for_another() -> None:
    assert isinstance(create_decoder("pcm16"), Pcm16Decoder)
    assert isinstance(create_decoder("mulaw"), MulawDecoder)
    assert isinstance(create_decoder("webm"), WebmOpusDecoder)
    with pytest.raises(AudioFormatError, match="pcm16, mulaw, webm"):
        create_decoder("mp3")


def test_wav_and_mulaw_wav_files_load_as_16k_mono(calls_audio: Path) -> None:
    wideband = load_audio_file(calls_audio / CALL / f"{NAME}.wav")
    telephone = load_audio_file(calls_audio / CALL / f"{NAME}.ulaw.wav")
    assert wideband.dtype == telephone.dtype == np.float32
    assert wideband.ndim == telephone.ndim == 1
    assert abs(len(telephone) - len(wideband)) < 0.02 * SAMPLE_RATE
    assert _similar(telephone, wideband) > 0.9


@pytest.mark.parametrize(
    ("container", "codec", "rate", "channels"),
    [("mp3", "libmp3lame", 44100, 1), ("flac", "flac", 44100, 2), ("ogg", "libopus", 48000, 2), ("wav", "pcm_s16le", 22050, 2)],
)
def test_files_of_any_format_rate_and_channels_load_as_16k_mono(
    tmp_path: Path, turn: Callable[[str, str], np.ndarray], container: str, codec: str, rate: int, channels: int
) -> None:
    original = turn(CALL, NAME)
    path = tmp_path / f"turn.{container}"
    path.write_bytes(_encode(original, container, codec, rate=rate, channels=channels))
    loaded = load_audio_file(path)
    assert loaded.dtype == np.float32 and loaded.ndim == 1
    assert abs(len(loaded) - len(original)) < 0.1 * SAMPLE_RATE
    assert _similar(loaded, original) > 0.95
    assert abs(np.sqrt(np.mean(loaded**2)) / np.sqrt(np.mean(original**2)) - 1) < 0.1, "mixdown keeps the level"


def test_unreadable_or_missing_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioFormatError, match="cannot read audio"):
        load_audio_file(bad)
    with pytest.raises(AudioFormatError):
        load_audio_file(tmp_path / "missing.wav")
