"""Rate limits of one connection: a token bucket, and how much a binary audio frame costs in seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

PCM16_BYTES_PER_SECOND = 16000 * 2
MULAW_BYTES_PER_SECOND = 8000
# WebM/Opus chunks have no known duration before they are decoded; charge them as if one second
# were 32 KB (256 kbit/s). Voice Opus from MediaRecorder runs at 32-128 kbit/s, so a real
# microphone stays well inside the audio budget, and a flood is still bounded by bytes.
WEBM_BYTES_PER_SECOND = 32000

BYTES_PER_SECOND = {"pcm16": PCM16_BYTES_PER_SECOND, "mulaw": MULAW_BYTES_PER_SECOND, "webm": WEBM_BYTES_PER_SECOND}


def audio_seconds(audio_format: str, nbytes: int) -> float:
    """The duration a binary frame of `audio_format` is charged as (16 kHz PCM16, 8 kHz mu-law, WebM)."""
    return nbytes / BYTES_PER_SECOND[audio_format]


class TokenBucket:
    """Holds up to `capacity` tokens, refilled at `rate` per second; a cost is taken whole or not at all.

    Starts full, so a burst of `capacity` passes at once (a reconnect, a pasted paragraph), while
    the sustained rate can never exceed `rate`.
    """

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("a token bucket needs a positive capacity and rate")
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def take(self, cost: float = 1.0) -> bool:
        """Spend `cost` tokens if there are that many; False (and nothing spent) if not."""
        self._refill()
        if cost > self._tokens:
            return False
        self._tokens -= cost
        return True

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
