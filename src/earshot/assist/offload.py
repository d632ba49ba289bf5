"""Assist's CPU work off the event loop: worker processes, and utterances gathered into batches.

Embeddings, VADER and playbook matching are pure Python and numpy holding the GIL: on
threads they still take the event loop's core, and chat delivery waits behind them. So they
run in a process pool, one per server process whatever number of apps it builds (test
servers), started on first use and shut down when the last app using it stops. Utterances
that arrive within a few milliseconds of each other, or while every worker is busy, go to
a worker as one batch and are embedded in one pass.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import numpy as np

from earshot.assist.sentiment import SentimentAnalyzer, SentimentScore
from earshot.assist.types import Suggestion, SuggestionRequest
from earshot.assist.worker import (
    AssistConfig,
    AssistCore,
    Job,
    JobFailed,
    Result,
    SentimentJob,
    SuggestionJob,
    init_worker,
    run_batch,
    warm_up,
)

log = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_DEFAULT_WORKERS = 4
# An idle pool waits this long for another app before it stops: a test process starts and stops
# a server per test, and starting workers (model and playbook loaded in each) costs seconds.
IDLE_POOL_LINGER_S = 30.0
WARM_UP_TIMEOUT_S = 120.0
_Answer = TypeVar("_Answer", SentimentScore, Suggestion)


class AssistJobError(RuntimeError):
    """A job raised inside a worker; the message is the exception as the worker saw it."""


def default_worker_count() -> int:
    """One worker per core beyond the one the event loop needs, at least one, at most four."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, min(MAX_DEFAULT_WORKERS, cores - 1))


class WorkerPool:
    """A process pool shared by the apps of one process; replaced whole when a worker dies."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.users = 0
        self.example_sets: dict[tuple[str, ...], np.ndarray] = {}
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.idle_stop: threading.Timer | None = None

    def executor(self) -> ProcessPoolExecutor:
        """The live executor (processes start as work arrives, not before)."""
        with self._lock:
            if self._executor is None:
                # Spawned, not forked: the server has threads (and locks held in them) that a fork would copy.
                self._executor = ProcessPoolExecutor(
                    self.size,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(os.getpid(), dict(self.example_sets)),
                )
            return self._executor

    def warm(self, config: AssistConfig, timeout_s: float = WARM_UP_TIMEOUT_S) -> bool:
        """Start every worker and build `config`'s engine in it; False if a worker could not.

        Waits (up to `timeout_s`) so that a server is ready when it says it is: the first
        utterance of the first call does not wait seconds for the model to load.
        """
        executor = self.executor()
        try:
            futures = [executor.submit(warm_up, config) for _ in range(self.size)]
        except BrokenProcessPool:  # a worker of the pool as another app left it had died
            self.replace(executor)
            return False
        done, _ = wait(futures, timeout=timeout_s)
        failed = [f.exception() for f in done if f.exception() is not None]
        if failed:
            log.error("assist workers could not start", exc_info=failed[0])
        return not failed

    def replace(self, broken: ProcessPoolExecutor) -> None:
        """A worker died (killed, out of memory): the next batch starts a fresh pool."""
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """The worker processes running now."""
        with self._lock:
            processes = dict(getattr(self._executor, "_processes", None) or {})
        return [pid for pid, process in processes.items() if process.is_alive()]

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[int, WorkerPool] = {}
_pools_lock = threading.Lock()


def acquire_pool(size: int, example_sets: dict[tuple[str, ...], np.ndarray], config: AssistConfig) -> WorkerPool:
    """This process's pool of `size` workers, for one more user; `release_pool` when done."""
    with _pools_lock:
        pool = _pools.setdefault(size, WorkerPool(size))
        pool.users += 1
        pool.example_sets.update(example_sets)
        if pool.idle_stop is not None:
            pool.idle_stop.cancel()
            pool.idle_stop = None
    return pool


def release_pool(pool: WorkerPool, linger_s: float = IDLE_POOL_LINGER_S) -> None:
    """One user fewer; the pool stops `linger_s` after the last one leaves, unless another comes.

    Stopping waits for the worker processes to exit. At interpreter exit the executor stops
    its workers itself, and a worker whose server was killed outright exits on its own.
    """
    with _pools_lock:
        pool.users -= 1
        if pool.users > 0:
            return
        if linger_s > 0:
            pool.idle_stop = threading.Timer(linger_s, _stop_if_idle, args=(pool,))
            pool.idle_stop.daemon = True
            pool.idle_stop.start()
            return
        del _pools[pool.size]
    pool.shutdown()


def _stop_if_idle(pool: WorkerPool) -> None:
    with _pools_lock:
        if pool.users > 0 or _pools.get(pool.size) is not pool:
            return
        del _pools[pool.size]
    pool.shutdown()


def live_worker_pids() -> list[int]:
    """Every assist worker process of this process (for health checks and tests)."""
    with _pools_lock:
        pools = list(_pools.values())
    return [pid for pool in pools for pid in pool.pids()]


class AssistWorkers:
    """One app's way to its workers: jobs gathered into batches, answers handed back in order.

    `pool=None` runs the batches on one thread of this process (the same code, no processes):
    for debugging, and where processes cannot be started.
    """

    def __init__(
        self, config: AssistConfig, core: AssistCore, pool: WorkerPool | None, window_s: float, max_batch: int = MAX_BATCH
    ) -> None:
        self.config = config
        self.core = core
        self.pool = pool
        self.window_s = window_s
        self.max_batch = max_batch
        self.capacity = pool.size if pool is not None else 1
        self._waiting: list[tuple[Job, asyncio.Future[Result]]] = []
        self._in_flight = 0
        self._flush_at: asyncio.TimerHandle | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="assist") if pool is None else None
        self._closed = False
        self.pool_linger_s = IDLE_POOL_LINGER_S

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        return await self._run(SuggestionJob(request), Suggestion)

    async def score(self, text: str) -> SentimentScore:
        return await self._run(SentimentJob(text), SentimentScore)

    async def _run(self, job: Job, answer: type[_Answer]) -> _Answer:
        if self._closed:
            raise RuntimeError("assist workers are closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((job, future))
        if self._flush_at is None:
            self._flush_at = loop.call_later(self.window_s, self._flush)
        result = await future  # cancelled (a newer utterance came) before it was sent: it is never run
        if isinstance(result, JobFailed):
            raise AssistJobError(result.error)
        assert isinstance(result, answer)
        return result

    def _flush(self) -> None:
        """Send what is waiting to every free worker, a batch each."""
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        while self._in_flight < self.capacity:
            live = [(job, future) for job, future in self._waiting if not future.done()]
            batch, self._waiting = live[: self.max_batch], live[self.max_batch :]
            if not batch:
                return
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._execute(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _execute(self, batch: list[tuple[Job, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._results([job for job, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._in_flight -= 1
            if self._waiting and not self._closed:
                self._flush()  # these waited while every worker was busy: no window for them

    async def _results(self, jobs: list[Job]) -> list[Result]:
        loop = asyncio.get_running_loop()
        if self.pool is None:
            return await loop.run_in_executor(self._thread, self.core.run, jobs)
        executor = self.pool.executor()
        try:
            return await asyncio.wrap_future(executor.submit(run_batch, self.config, jobs))
        except BrokenProcessPool:
            # A worker died mid-batch; the batch is retried once on a fresh pool, so the calls carry on.
            log.warning("an assist worker process died; starting new ones and retrying %d jobs", len(jobs))
            self.pool.replace(executor)
            return await asyncio.wrap_future(self.pool.executor().submit(run_batch, self.config, jobs))

    async def aclose(self) -> None:
        """Stop taking jobs, drop what is waiting, and give the pool back (the last app stops it)."""
        if self._closed:
            return
        self._closed = True
        if self._flush_at is not None:
            self._flush_at.cancel()
        for _, future in self._waiting:
            future.cancel()
        self._waiting.clear()
        for task in list(self._batches):
            task.cancel()
        await asyncio.gather(*self._batches, return_exceptions=True)
        if self.pool is not None:
            await asyncio.to_thread(release_pool, self.pool, self.pool_linger_s)
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)


class OffloadedPlaybook:
    """The playbook provider, answered by the workers."""

    name = "playbook"

    def __init__(self, workers: AssistWorkers) -> None:
        self.workers = workers

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        return await self.workers.suggest(request)

    async def aclose(self) -> None:
        await self.workers.aclose()


class OffloadedSentiment:
    """The sentiment analyser, scored by the workers (`score_off_loop`), or here (`score`)."""

    def __init__(self, analyzer: SentimentAnalyzer, workers: AssistWorkers) -> None:
        self.analyzer = analyzer
        self.workers = workers
        self.name = analyzer.name

    def score(self, text: str) -> SentimentScore:
        return self.analyzer.score(text)

    async def score_off_loop(self, text: str) -> SentimentScore:
        return await self.workers.score(text)
