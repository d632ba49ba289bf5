"""The bounded pool that runs speech-to-text decodes off the event loop, finals first.

Overflow policy: a final is never dropped; a partial waits at most one per leg (a newer
partial of the same leg replaces it) and is skipped once it is stale, so under load the
pool spends its time on finals and the freshest partials.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from earshot.transcription.engine import SttEngine, Transcription

log = logging.getLogger(__name__)

FINAL, PARTIAL = 0, 1
STALE_PARTIAL_SECONDS = 1.0


@dataclass(order=True)
class _Job:
    priority: int
    order: int
    leg: str = field(compare=False)
    audio: np.ndarray = field(compare=False, repr=False)
    prompt: str | None = field(compare=False)
    queued_at: float = field(compare=False)
    result: asyncio.Future[Transcription | None] = field(compare=False, repr=False)
    speculative: bool = field(default=False, compare=False)
    narrowband: bool = field(default=False, compare=False)


@dataclass
class PoolStats:
    """What the pool has done, for the STT status endpoint and benchmarks."""

    finals: int = 0
    partials: int = 0
    skipped_partials: int = 0
    speculative_finals: int = 0  # finals decoded ahead of the VAD's end of speech
    failures: int = 0
    final_lag_ms: deque[float] = field(default_factory=lambda: deque(maxlen=500))
    decode_ms: deque[float] = field(default_factory=lambda: deque(maxlen=500))

    def summary(self, queued: int) -> dict[str, float | int]:
        def pct(values: deque[float], q: float) -> float:
            return round(float(np.percentile(values, q)), 1) if values else 0.0

        return {
            "queued": queued,
            "finals": self.finals,
            "partials": self.partials,
            "skipped_partials": self.skipped_partials,
            "speculative_finals": self.speculative_finals,
            "failures": self.failures,
            "final_lag_ms_p50": pct(self.final_lag_ms, 50),
            "final_lag_ms_p95": pct(self.final_lag_ms, 95),
            "decode_ms_p50": pct(self.decode_ms, 50),
            "decode_ms_p95": pct(self.decode_ms, 95),
        }


class DecodePool:
    def __init__(self, engine: SttEngine, workers: int = 1) -> None:
        self.engine = engine
        self.workers = max(1, workers)
        self.stats = PoolStats()
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._pending_partial: dict[str, _Job] = {}
        self._order = itertools.count()
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="stt")
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def transcribe(
        self,
        leg: str,
        audio: np.ndarray,
        *,
        final: bool,
        prompt: str | None = None,
        speculative: bool = False,
        narrowband: bool = False,
    ) -> Transcription | None:
        """Decode `audio`; returns None when a partial was skipped (superseded or stale).

        A `speculative` final is decoded like a final, before the utterance is known to have
        ended; its caller cancels it when speech resumes, and a cancelled job that has not
        started yet is never decoded.
        """
        loop = asyncio.get_running_loop()
        job = _Job(
            FINAL if final else PARTIAL,
            next(self._order),
            leg,
            audio,
            prompt,
            time.monotonic(),
            loop.create_future(),
            speculative=final and speculative,
            narrowband=narrowband,
        )
        if not final:
            superseded = self._pending_partial.pop(leg, None)
            if superseded is not None and not superseded.result.done():
                self.stats.skipped_partials += 1
                superseded.result.set_result(None)
            self._pending_partial[leg] = job
        await self._queue.put(job)
        return await job.result

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = await self._queue.get()
            if job.result.done():  # a superseded partial, or a cancelled speculative final
                continue
            started = time.monotonic()
            if job.priority == PARTIAL:
                if self._pending_partial.get(job.leg) is job:
                    del self._pending_partial[job.leg]
                if started - job.queued_at > STALE_PARTIAL_SECONDS:
                    self.stats.skipped_partials += 1
                    job.result.set_result(None)
                    continue
            elif not job.speculative:
                self.stats.final_lag_ms.append((started - job.queued_at) * 1000)
            try:
                result = await loop.run_in_executor(self._executor, self._decode, job)
            except Exception as exc:  # one bad decode must not stop the pool
                log.exception("speech-to-text failed for %s", job.leg)
                self.stats.failures += 1
                if not job.result.done():
                    job.result.set_exception(exc)
                continue
            self.stats.decode_ms.append((time.monotonic() - started) * 1000)
            if job.speculative:
                self.stats.speculative_finals += 1
            elif job.priority == FINAL:
                self.stats.finals += 1
            else:
                self.stats.partials += 1
            if not job.result.done():
                job.result.set_result(result)

    def _decode(self, job: _Job) -> Transcription:
        final = job.priority == FINAL
        return self.engine.transcribe(job.audio, prompt=job.prompt, final=final, narrowband=job.narrowband)
