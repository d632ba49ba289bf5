"""The process-wide transcription service: one model, one decode pool, one legs factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from earshot.audio.vad import SileroVadModel
from earshot.config import Settings
from earshot.transcription import create_engine
from earshot.transcription.pool import DecodePool
from earshot.transcription.streaming import Emit, LegTranscriber

log = logging.getLogger(__name__)

AUDIO_THREADS = 2  # decoding and VAD are light next to STT; two threads keep every leg fed


class TranscriptionService:
    """Created at start-up; the model is loaded in the background so the server answers at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._audio_executor = ThreadPoolExecutor(AUDIO_THREADS, thread_name_prefix="audio")
        self._pool: DecodePool | None = None
        self._vad: SileroVadModel | None = None
        self._ready: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._ready = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        loop = asyncio.get_running_loop()
        engine = await loop.run_in_executor(None, create_engine, self.settings)
        self._vad = await loop.run_in_executor(None, SileroVadModel)
        self._pool = DecodePool(engine, self.settings.stt_workers)
        self._pool.start()
        log.info("speech-to-text ready: %s", engine.name)

    async def ready(self) -> DecodePool:
        assert self._ready is not None, "TranscriptionService.start() was not called"
        await self._ready
        assert self._pool is not None
        return self._pool

    async def stop(self) -> None:
        if self._ready is not None:
            self._ready.cancel()
        if self._pool is not None:
            await self._pool.stop()
        self._audio_executor.shutdown(wait=False, cancel_futures=True)

    async def new_leg(self, leg: str, emit: Emit, offset_ms: Callable[[], int]) -> LegTranscriber:
        pool = await self.ready()
        assert self._vad is not None
        return LegTranscriber(
            leg=leg,
            pool=pool,
            vad_model=self._vad,
            audio_executor=self._audio_executor,
            settings=self.settings,
            emit=emit,
            offset_ms=offset_ms,
        )

    def status(self) -> dict[str, object]:
        if self._pool is None:
            return {"ready": False}
        return {"ready": True, "engine": self._pool.engine.name, **self._pool.stats.summary(self._pool.queued)}
