"""Incremental WebM (Matroska) demuxer: audio packets out of a byte stream that arrives in pieces."""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

EBML = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
CODEC_ID = 0x86
CODEC_PRIVATE = 0x63A2
AUDIO = 0xE1
SAMPLING_FREQUENCY = 0xB5
CHANNELS = 0x9F
CLUSTER = 0x1F43B675
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1

# Masters whose children we walk in place, so that MediaRecorder's unknown sizes work.
ENTERED = {SEGMENT, CLUSTER}
# Elements we need whole.
READ_WHOLE = {EBML, TRACKS, SIMPLE_BLOCK, BLOCK_GROUP}
# Elements that may appear at segment or cluster level and carry nothing we need.
SKIPPED = {
    0x114D9B74,  # SeekHead
    0x1549A966,  # Info
    0x1C53BB6B,  # Cues
    0x1941A469,  # Attachments
    0x1043A770,  # Chapters
    0x1254C367,  # Tags
    0xE7,  # Cluster Timestamp
    0x5854,  # SilentTracks
    0xA7,  # Position
    0xAB,  # PrevSize
    0xAF,  # EncryptedBlock
    0xEC,  # Void
    0xBF,  # CRC-32
}
MAX_ELEMENT_BYTES = 16 * 1024 * 1024  # far above any header or block; stops garbage from buffering forever
EBML_MAGIC = EBML.to_bytes(4, "big")


class WebmError(ValueError):
    """Bytes that do not form a WebM stream with a usable audio track."""


@dataclass(frozen=True)
class AudioTrack:
    number: int
    codec_id: str
    codec_private: bytes
    sample_rate: int
    channels: int


def _vint_length(first: int, max_length: int) -> int:
    if first == 0:
        raise WebmError("invalid EBML variable-length integer")
    length = 9 - first.bit_length()
    if length > max_length:
        raise WebmError("invalid EBML variable-length integer")
    return length


def _read_size(data: bytes | bytearray, position: int) -> tuple[int | None, int] | None:
    """An EBML size (None when 'unknown') and its length in bytes; None if `data` ends first."""
    if position >= len(data):
        return None
    length = _vint_length(data[position], 8)
    if position + length > len(data):
        return None
    value = int.from_bytes(data[position : position + length], "big") & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), length


def _read_vint(data: bytes, position: int) -> tuple[int, int]:
    """A known size inside a complete payload, and its length; anything else is malformed."""
    read = _read_size(data, position)
    if read is None or read[0] is None:
        raise WebmError("truncated or unsized number inside an element")
    return read[0], read[1]


def _read_header(data: bytes | bytearray, position: int) -> tuple[int, int | None, int] | None:
    """Element id, size and header length at `position`; None if the header is not complete yet."""
    if position >= len(data):
        return None
    id_length = _vint_length(data[position], 4)
    if position + id_length > len(data):
        return None
    element_id = int.from_bytes(data[position : position + id_length], "big")
    size = _read_size(data, position + id_length)
    if size is None:
        return None
    return element_id, size[0], id_length + size[1]


def _children(payload: bytes) -> Iterator[tuple[int, bytes]]:
    position = 0
    while position < len(payload):
        if position + 1 > len(payload):
            raise WebmError("truncated element")
        id_length = _vint_length(payload[position], 4)
        element_id = int.from_bytes(payload[position : position + id_length], "big")
        size, size_length = _read_vint(payload, position + id_length)
        start = position + id_length + size_length
        if start + size > len(payload):
            raise WebmError(f"element {element_id:#x} overruns its parent")
        yield element_id, payload[start : start + size]
        position = start + size


def _uint(payload: bytes) -> int:
    return int.from_bytes(payload, "big")


def _float(payload: bytes) -> float:
    if len(payload) == 4:
        return float(struct.unpack(">f", payload)[0])
    if len(payload) == 8:
        return float(struct.unpack(">d", payload)[0])
    raise WebmError("invalid float element")


def _track_entry(payload: bytes) -> AudioTrack:
    fields = dict(_children(payload))
    audio = dict(_children(fields.get(AUDIO, b"")))
    return AudioTrack(
        number=_uint(fields.get(TRACK_NUMBER, b"")),
        codec_id=fields.get(CODEC_ID, b"").rstrip(b"\0").decode("ascii", "replace"),
        codec_private=fields.get(CODEC_PRIVATE, b""),
        sample_rate=int(_float(audio[SAMPLING_FREQUENCY])) if SAMPLING_FREQUENCY in audio else 8000,
        channels=_uint(audio[CHANNELS]) if CHANNELS in audio else 1,
    )


def _laced_sizes(lacing: int, data: bytes) -> tuple[list[int], int]:
    """Frame sizes of a laced block (the last one implied) and where the frames begin."""
    count = data[0] + 1
    position = 1
    sizes: list[int] = []
    if lacing == 0x02:  # Xiph: each size is a run of 255s plus a final byte
        for _ in range(count - 1):
            size = 0
            while data[position] == 255:
                size, position = size + 255, position + 1
            sizes.append(size + data[position])
            position += 1
    elif lacing == 0x06:  # EBML: first size, then signed differences
        for index in range(count - 1):
            value, length = _read_vint(data, position)
            if index:
                value = sizes[-1] + value - ((1 << (7 * length - 1)) - 1)
            sizes.append(value)
            position += length
    else:  # fixed
        if (len(data) - position) % count:
            raise WebmError("invalid fixed-size lacing")
        sizes = [(len(data) - position) // count] * (count - 1)
    return sizes, position


def _block_frames(payload: bytes) -> tuple[int, list[bytes]]:
    """Track number and frames of a (Simple)Block."""
    track, length = _read_vint(payload, 0)
    if len(payload) < length + 3:
        raise WebmError("truncated block")
    flags = payload[length + 2]
    data = payload[length + 3 :]
    lacing = flags & 0x06
    if not lacing:
        return track, [data]
    try:
        sizes, position = _laced_sizes(lacing, data)
    except IndexError as exc:
        raise WebmError("truncated laced block") from exc
    frames = []
    for size in sizes:
        frames.append(data[position : position + size])
        position += size
    if position > len(data) or any(size < 0 for size in sizes):
        raise WebmError("laced frame sizes overrun the block")
    return track, [*frames, data[position:]]


class WebmDemuxer:
    """Feed bytes as they arrive; get back the complete packets of the first track with `codec_id`.

    Only the bytes of an element still arriving are kept, so memory stays small however
    long the stream runs. Segment and Cluster may have unknown sizes (MediaRecorder writes them so).
    """

    def __init__(self, codec_id: str = "A_OPUS") -> None:
        self.codec_id = codec_id
        self.track: AudioTrack | None = None
        self._buffer = bytearray()
        self._skip = 0  # bytes of an ignored element still to come
        self._started = False
        self._broken: WebmError | None = None
        self.skipped_blocks = 0

    def feed(self, data: bytes) -> list[bytes]:
        """The packets completed by `data`; raises WebmError once the stream's structure is broken."""
        if self._broken is not None:
            raise WebmError(f"stream unusable after an earlier error: {self._broken}")
        self._buffer += data
        packets: list[bytes] = []
        position = 0
        try:
            if not self._started:
                self._check_magic()
            while True:
                position = self._skip_ahead(position)
                if self._skip:
                    break
                step = self._element(position, packets)
                if step is None:
                    break
                position = step
        except WebmError as exc:
            self._broken = exc
            self._buffer.clear()
            raise
        del self._buffer[:position]
        return packets

    def _check_magic(self) -> None:
        head = bytes(self._buffer[:4])
        if not EBML_MAGIC.startswith(head):
            raise WebmError("no EBML header at the start of the stream")

    def _skip_ahead(self, position: int) -> int:
        skipped = min(self._skip, len(self._buffer) - position)
        self._skip -= skipped
        return position + skipped

    def _element(self, position: int, packets: list[bytes]) -> int | None:
        """Handles the element at `position`; returns where the next one begins, None to wait for bytes."""
        header = _read_header(self._buffer, position)
        if header is None:
            return None
        element_id, size, header_length = header
        if not self._started and element_id != EBML:
            raise WebmError("no EBML header at the start of the stream")
        if element_id in ENTERED:
            return position + header_length
        if size is None:
            raise WebmError(f"element {element_id:#x} has an unknown size")
        if element_id in SKIPPED:
            self._skip = size
            return position + header_length
        if element_id not in READ_WHOLE:
            raise WebmError(f"unexpected element {element_id:#x}")
        if size > MAX_ELEMENT_BYTES:
            raise WebmError(f"element {element_id:#x} is implausibly large ({size} bytes)")
        end = position + header_length + size
        if end > len(self._buffer):
            return None
        payload = bytes(self._buffer[position + header_length : end])
        if element_id in (SIMPLE_BLOCK, BLOCK_GROUP) and self.track is not None:
            packets.extend(self._block(payload, element_id))
        else:
            self._header_element(element_id, payload)
        return end

    def _block(self, payload: bytes, element_id: int) -> list[bytes]:
        """A block's frames for our track; a damaged block is skipped, since the framing around it holds."""
        try:
            if element_id == BLOCK_GROUP:
                payload = dict(_children(payload)).get(BLOCK, b"")
                if not payload:
                    return []
            track, frames = _block_frames(payload)
        except WebmError as exc:
            self.skipped_blocks += 1
            log.warning("skipped a damaged WebM block: %s", exc)
            return []
        assert self.track is not None
        return frames if track == self.track.number else []

    def _header_element(self, element_id: int, payload: bytes) -> None:
        """The EBML header or the track list (or a block arriving before the track list: an error)."""
        if element_id == EBML:
            doc_type = dict(_children(payload)).get(DOC_TYPE, b"").rstrip(b"\0")
            if doc_type not in (b"webm", b"matroska"):
                raise WebmError(f"document type {doc_type!r} is not WebM")
            self._started = True
        elif element_id == TRACKS:
            self._select_track(payload)
        else:
            raise WebmError("audio data before the track list")

    def _select_track(self, payload: bytes) -> None:
        tracks = [_track_entry(entry) for element_id, entry in _children(payload) if element_id == TRACK_ENTRY]
        chosen = next((track for track in tracks if track.codec_id == self.codec_id), None)
        if chosen is None:
            found = ", ".join(track.codec_id for track in tracks) or "none"
            raise WebmError(f"no {self.codec_id} track (tracks: {found})")
        log.debug("WebM track %d: %s, %d Hz, %d channels", chosen.number, chosen.codec_id, chosen.sample_rate, chosen.channels)
        self.track = chosen
