"""Who may start a call now: per-address and overall budgets, and a "busy" answer under overload.

New calls are refused before existing calls suffer: a flood from one address is answered 429
once its budget is spent, any flood once the server's is, and everyone gets 503 while the queue
is full, the event loop lags, or work piles up behind it (assist's backlog is full). Both come
with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from earshot.calls.limits import TokenBucket
from earshot.config import Settings

log = logging.getLogger(__name__)

# Buckets of this many addresses are kept; the least recently seen is forgotten first, which
# only ever hands that address a fresh (full) budget.
MAX_TRACKED_ADDRESSES = 10_000
LAG_PROBE_SECONDS = 0.1
BUSY_RETRY_SECONDS = 10


@dataclass(frozen=True)
class Refusal:
    status: int  # 429: this caller (or everyone) is starting calls too fast; 503: the server is busy
    retry_after: int  # whole seconds, as the Retry-After header wants
    reason: str


class LoopLag:
    """How late the event loop wakes up a sleeper: the plainest sign that the server is overloaded."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            self.seconds = max(0.0, loop.time() - started - LAG_PROBE_SECONDS)


class Admission:
    """Decides whether a new call may be queued; `waiting` says how many calls wait for an agent."""

    def __init__(
        self,
        settings: Settings,
        waiting: Callable[[], int],
        lag: LoopLag,
        strained: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.waiting = waiting
        self.lag = lag
        # Work piling up off the event loop (database writes behind assist): the loop looks idle.
        self.strained = strained
        self._clock = clock
        self._overall = TokenBucket(settings.call_start_burst, settings.call_starts_per_second, clock)
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()
        self.refused: dict[int, int] = {429: 0, 503: 0}

    def admit(self, address: str) -> Refusal | None:
        """None if a call from `address` may start now (its budget is spent); else why not."""
        refusal = self._busy() or self._rate(address)
        if refusal is not None:
            self.refused[refusal.status] += 1
            log.info("refused a new call from %s: %s", address, refusal.reason)
        return refusal

    def _busy(self) -> Refusal | None:
        if self.waiting() >= self.settings.max_waiting_calls:
            return Refusal(503, BUSY_RETRY_SECONDS, "all lines are busy; please try again shortly")
        if self.lag.seconds * 1000 > self.settings.busy_loop_lag_ms or self.strained():
            return Refusal(503, BUSY_RETRY_SECONDS, "the service is overloaded; please try again shortly")
        return None

    def _rate(self, address: str) -> Refusal | None:
        bucket = self._bucket(address)
        if not bucket.take():
            return Refusal(429, _wait(bucket), "too many calls from your address; please wait")
        if not self._overall.take():
            return Refusal(429, _wait(self._overall), "too many calls are starting; please wait")
        return None

    def _bucket(self, address: str) -> TokenBucket:
        bucket = self._addresses.get(address)
        if bucket is None:
            per_second = self.settings.call_starts_per_minute_per_address / 60
            bucket = TokenBucket(self.settings.call_start_burst_per_address, per_second, self._clock)
            self._addresses[address] = bucket
            if len(self._addresses) > MAX_TRACKED_ADDRESSES:
                self._addresses.popitem(last=False)
        else:
            self._addresses.move_to_end(address)
        return bucket


def _wait(bucket: TokenBucket) -> int:
    """Seconds until the bucket holds one whole token again."""
    return max(1, math.ceil((1 - bucket.tokens) / bucket.rate))
