"""The incremental WebM demuxer on hand-built streams: unknown sizes, lacing, other tracks, bad input."""

from __future__ import annotations

import itertools

import pytest

from earshot.audio.webm import WebmDemuxer, WebmError

UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def _size(n: int) -> bytes:
    for length in range(1, 9):
        if n < (1 << (7 * length)) - 1:
            return (n | (1 << (7 * length))).to_bytes(length, "big")
    raise ValueError(n)


def _element(element_id: int, payload: bytes) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + _size(len(payload)) + payload


def _uint(element_id: int, value: int) -> bytes:
    return _element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _header() -> bytes:
    return _element(0x1A45DFA3, _element(0x4282, b"webm"))


def _track(number: int, codec_id: str) -> bytes:
    audio = _element(0xE1, _element(0xB5, b"\x47\x3b\x80\x00") + _uint(0x9F, 1))  # 48000.0 Hz, mono
    return _element(0xAE, _uint(0xD7, number) + _element(0x86, codec_id.encode()) + _element(0x63A2, b"OpusHead") + audio)


def _block(track: int, frames: list[bytes], lacing: str = "none") -> bytes:
    head = _size(track) + b"\x00\x00"
    if lacing == "none":
        return head + b"\x80" + frames[0]
    count = bytes([len(frames) - 1])
    if lacing == "xiph":
        sizes = b"".join(b"\xff" * (len(f) // 255) + bytes([len(f) % 255]) for f in frames[:-1])
        return head + b"\x82" + count + sizes + b"".join(frames)
    if lacing == "fixed":
        return head + b"\x84" + count + b"".join(frames)
    sizes = _size(len(frames[0]))
    for before, frame in itertools.pairwise(frames[:-1]):
        sizes += ((len(frame) - len(before) + 8191) | 0x4000).to_bytes(2, "big")  # two-byte signed difference
    return head + b"\x86" + count + sizes + b"".join(frames)


def _stream(*cluster_children: bytes) -> bytes:
    tracks = _element(0x1654AE6B, _track(1, "V_VP8") + _track(2, "A_OPUS"))
    info = _element(0x1549A966, _uint(0x2AD7B1, 1000000))
    segment_head = b"\x18\x53\x80\x67" + UNKNOWN
    cluster = b"\x1f\x43\xb6\x75" + UNKNOWN + _uint(0xE7, 0) + b"".join(cluster_children)
    return _header() + segment_head + info + tracks + cluster


def _feed_in_pieces(data: bytes, step: int) -> list[bytes]:
    demuxer = WebmDemuxer()
    packets = []
    for i in range(0, len(data), step):
        packets += demuxer.feed(data[i : i + step])
    return packets


def test_packets_of_the_opus_track_come_out_whatever_the_chunking() -> None:
    frames = [bytes([n]) * (10 + n) for n in range(6)]
    data = _stream(
        _element(0xA3, _block(1, [b"video frame"])),
        _element(0xA3, _block(2, frames[:1])),
        _element(0xA0, _element(0xA1, _block(2, frames[1:2]))),  # BlockGroup
        _element(0xEC, b"\0" * 40),  # Void
        *[_element(0xA3, _block(2, [frame])) for frame in frames[2:]],
    )
    for step in (len(data), 50, 3, 1):
        assert _feed_in_pieces(data, step) == frames


@pytest.mark.parametrize("lacing", ["xiph", "fixed", "ebml"])
def test_laced_blocks_are_split_into_their_frames(lacing: str) -> None:
    if lacing == "fixed":
        frames = [bytes([n]) * 40 for n in range(4)]
    else:
        frames = [bytes([n]) * size for n, size in enumerate([300, 20, 41, 7])]
    assert _feed_in_pieces(_stream(_element(0xA3, _block(2, frames, lacing))), 64) == frames


def test_the_track_list_is_read_before_any_packet() -> None:
    demuxer = WebmDemuxer()
    demuxer.feed(_stream())
    assert demuxer.track is not None
    assert (demuxer.track.number, demuxer.track.codec_id, demuxer.track.sample_rate) == (2, "A_OPUS", 48000)
    assert demuxer.track.codec_private == b"OpusHead"


def test_a_stream_without_an_ebml_header_fails_on_its_first_byte() -> None:
    with pytest.raises(WebmError, match="EBML header"):
        WebmDemuxer().feed(b"R")


def test_an_implausibly_large_element_fails_instead_of_buffering_forever() -> None:
    huge_tracks = b"\x16\x54\xae\x6b" + _size(1 << 40)
    with pytest.raises(WebmError, match="implausibly large"):
        WebmDemuxer().feed(_header() + b"\x18\x53\x80\x67" + UNKNOWN + huge_tracks)


def test_an_unknown_element_is_an_error() -> None:
    with pytest.raises(WebmError, match="unexpected element"):
        WebmDemuxer().feed(_stream(_element(0x4DBB, b"seek")))


def test_audio_before_the_track_list_is_an_error() -> None:
    early_block = _header() + b"\x18\x53\x80\x67" + UNKNOWN + b"\x1f\x43\xb6\x75" + UNKNOWN + _element(0xA3, _block(2, [b"x"]))
    with pytest.raises(WebmError, match="before the track list"):
        WebmDemuxer().feed(early_block)


def test_a_damaged_block_is_skipped_and_the_stream_goes_on() -> None:
    damaged = _size(2) + b"\x00\x00\x82" + b"\x05\xff\xff\xff"  # Xiph lacing whose sizes overrun the block
    demuxer = WebmDemuxer()
    packets = demuxer.feed(_stream(_element(0xA3, _block(2, [b"one"])), _element(0xA3, damaged), _element(0xA3, _block(2, [b"two"]))))
    assert packets == [b"one", b"two"]
    assert demuxer.skipped_blocks == 1


def test_after_broken_framing_the_stream_stays_unusable() -> None:
    demuxer = WebmDemuxer()
    with pytest.raises(WebmError):
        demuxer.feed(_stream(_element(0xA3, _block(2, [b"one"])), b"\x00garbage"))
    with pytest.raises(WebmError, match="unusable"):
        demuxer.feed(_element(0xA3, _block(2, [b"two"])))
