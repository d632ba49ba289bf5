"""One call's recording as it is made: both legs placed on the call's timeline, held back a while, then encoded.

Everything here is synchronous CPU and file work; the caller runs it off the event loop, one
batch at a time per call. Time zero is the call's `offset_ms` zero, so a transcript's
`start_ms` is where its words are in the file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earshot.audio.decode import SAMPLE_RATE, AudioFormatError, StreamDecoder, create_decoder
from earshot.recordings.encoder import CHANNELS, OpusWriter, silence_file

log = logging.getLogger(__name__)

ENCODE_BLOCK = SAMPLE_RATE  # encode in steps of at least 1 s: fewer, larger hops to the encoder


def ms_to_samples(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


@dataclass
class LegState:
    """Where a leg's next sample goes, and the decoder of its current audio stream."""

    decoder: StreamDecoder = field(default_factory=lambda: create_decoder("pcm16"))
    position: int = 0  # in samples of the timeline
    new_stream: bool = True  # the next frame starts a stream: it is placed at its arrival offset


class Tape:
    """Two channels (customer 0, agent 1) on the call's timeline, encoded once they are `hold_back_ms` old.

    Audio is held back so that spans found to hold a card number or SSN (known only when the
    utterance's final transcript arrives) are silenced before anything reaches the disk. A span
    that comes later than that is silenced by rewriting the file when the tape is finished.
    """

    def __init__(self, path: Path, hold_back_ms: int) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.hold_back = ms_to_samples(hold_back_ms)
        self.legs = [LegState(), LegState()]
        self.late_audio = 0  # samples that arrived for time already encoded (dropped)
        self._writer: OpusWriter | None = None
        self._base = 0  # timeline sample at buffer[:, 0]; everything before it is encoded
        self._buffer = np.zeros((CHANNELS, 0), np.float32)
        self._spans: list[tuple[int, int]] = []  # silenced, in samples
        self._late_spans: list[tuple[int, int]] = []  # reached into encoded audio: silenced at finish

    # ------------------------------------------------------------------ input, in arrival order

    def start(self, channel: int, audio_format: str) -> None:
        leg = self.legs[channel]
        leg.decoder = create_decoder(audio_format)
        leg.new_stream = True

    def stop(self, channel: int) -> None:
        """End of a stream (mute, the party left): its decoder's tail, and the next frame starts anew."""
        leg = self.legs[channel]
        self._place(channel, leg.decoder.flush())
        leg.new_stream = True

    def frame(self, channel: int, data: bytes, offset_ms: int) -> None:
        leg = self.legs[channel]
        try:
            samples = leg.decoder.decode(data)
        except AudioFormatError as exc:
            log.info("recording %s: frame skipped: %s", self.path.name, exc)
            return
        if leg.new_stream:
            # Like the transcriber: a stream starts where the call was when it arrived, then runs on
            # sample by sample, so transcript offsets and the file agree.
            leg.position = max(leg.position, ms_to_samples(offset_ms))
            leg.new_stream = False
        self._place(channel, samples)

    def silence(self, start_ms: int, end_ms: int) -> None:
        """Both channels go quiet here (a mic may pick up the other party too)."""
        span = (ms_to_samples(start_ms), ms_to_samples(end_ms))
        if span[1] <= span[0]:
            return
        if span[0] < self._base:
            self._late_spans.append(span)
        self._spans.append(span)

    # ------------------------------------------------------------------ output

    def encode_until(self, offset_ms: int) -> None:
        """Encode what is older than the hold-back at call offset `offset_ms`."""
        until = ms_to_samples(offset_ms) - self.hold_back
        if until - self._base >= ENCODE_BLOCK:
            self._encode(until)

    def finish(self) -> Path | None:
        """Encode the rest, close the file, silence late spans; the finished file, or None if nothing was heard."""
        end = max(leg.position for leg in self.legs)
        if self._writer is None and end == 0:
            return None
        self._encode(end)
        assert self._writer is not None
        self._writer.close()
        if self._late_spans:
            silence_file(self.part, self._late_spans)
        os.replace(self.part, self.path)
        return self.path

    def abandon(self) -> None:
        """After a failure: drop the unfinished file (it may be cut mid-page)."""
        if self._writer is not None:
            self._writer.abandon()
        self.part.unlink(missing_ok=True)

    def _place(self, channel: int, samples: np.ndarray) -> None:
        leg = self.legs[channel]
        start, end = leg.position, leg.position + len(samples)
        leg.position = end
        if start < self._base:
            # Only a stream that ran far behind the wall clock lands in encoded time.
            cut = min(self._base - start, len(samples))
            self.late_audio += cut
            samples, start = samples[cut:], start + cut
        if not len(samples):
            return
        if self._writer is None:  # opened with the first audio, so a disk that cannot take it is known at once
            self._writer = OpusWriter(self.part)
        self._grow(end - self._base)
        self._buffer[channel, start - self._base : end - self._base] = samples

    def _grow(self, length: int) -> None:
        if length <= self._buffer.shape[1]:
            return
        grown = np.zeros((CHANNELS, max(length, 2 * self._buffer.shape[1])), np.float32)
        grown[:, : self._buffer.shape[1]] = self._buffer
        self._buffer = grown

    def _encode(self, until: int) -> None:
        count = until - self._base
        if count <= 0:
            return
        self._grow(count)
        block = self._buffer[:, :count].copy()
        for start, end in self._spans:
            lo, hi = max(start - self._base, 0), min(end - self._base, count)
            if lo < hi:
                block[:, lo:hi] = 0.0
        if self._writer is None:
            self._writer = OpusWriter(self.part)
        self._writer.write(block)
        self._buffer = self._buffer[:, count:].copy()
        self._base = until
        self._spans = [span for span in self._spans if span[1] > until]
