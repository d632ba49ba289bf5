"""Call recordings: the legs' frames go to a per-call tape, encoded off the event loop; spans are silenced.

A leg hands its frames to a `LegTap`; each call being recorded has a `CallRecording`, which
queues what arrives and applies it to its `Tape` in a worker thread, one batch at a time. A
failure stops that call's recording only: it is logged, and a `recording_failed` event in the
call's log tells the supervisors following the call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from earshot.assist.redact import held_pii
from earshot.calls.protocol import LoggedEvent, Speaker
from earshot.config import Settings
from earshot.recordings.encoder import SUFFIX, silence_file
from earshot.recordings.retention import sweep_expired
from earshot.recordings.tape import Tape, ms_to_samples

log = logging.getLogger(__name__)

CALL_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
CHANNEL = {Speaker.customer: 0, Speaker.agent: 1}
MAX_BACKLOG = 1000  # queued frames per call (about 20 s of 20 ms frames from both legs)
FINISH_SETTLE_SECONDS = 2.0  # after call_ended: the legs' last frames and the last finals still land
HOLD_BACK_MARGIN_MS = 10_000  # beyond the longest utterance: the time its final takes to arrive

LogEvent = Callable[..., Awaitable[None]]
Item = tuple[str, int, Any, int]  # (kind, channel, payload, call offset in ms)


class CallRecording:
    """One call's tape and its worker; overflow policy: past `MAX_BACKLOG` queued items a frame is
    dropped (counted in `dropped`) and that leg's next frame is placed at its arrival time."""

    def __init__(self, recordings: Recordings, call_id: str) -> None:
        self.recordings = recordings
        self.call_id = call_id
        self.tape = Tape(recordings.path(call_id), recordings.hold_back_ms)
        self.failed = False
        self.finishing = False
        self.dropped = 0
        self._resync = [False, False]
        self._queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=MAX_BACKLOG)
        self._worker = asyncio.get_running_loop().create_task(self._run())

    def put(self, kind: str, channel: int, payload: Any = None) -> None:
        if self.failed or self.finishing:
            return
        if kind == "frame" and self._resync[channel]:
            kind, self._resync[channel] = "resync", False
        try:
            self._queue.put_nowait((kind, channel, payload, self.recordings.offset_ms(self.call_id)))
        except asyncio.QueueFull:
            self.dropped += 1
            self._resync[channel] = True
            if self.dropped == 1:
                log.warning("call %s: recording falls behind; audio frames dropped", self.call_id)

    async def finish(self) -> None:
        """Encode the rest and close the file (waits for everything queued before)."""
        if not self.failed and not self.finishing:
            self.finishing = True
            await self._queue.put(("finish", 0, None, 0))
        await asyncio.gather(self._worker, return_exceptions=True)

    async def cancel(self) -> None:
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self.recordings.executor, self.tape.abandon)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            now = self.recordings.offset_ms(self.call_id)
            try:
                done = await loop.run_in_executor(self.recordings.executor, self._apply, batch, now)
            except Exception as exc:  # a disk that is full or gone: the call goes on without its recording
                await self._fail(exc)
                return
            if done:
                return

    def _apply(self, batch: list[Item], now_ms: int) -> bool:
        """In the worker thread: the batch in order; True once the tape is finished."""
        tape = self.tape
        for kind, channel, payload, offset_ms in batch:
            if kind == "start":
                tape.start(channel, payload)
            elif kind == "stop":
                tape.stop(channel)
            elif kind in ("frame", "resync"):
                if kind == "resync":
                    tape.legs[channel].new_stream = True
                tape.frame(channel, payload, offset_ms)
            elif kind == "silence":
                tape.silence(*payload)
            elif kind == "finish":
                path = tape.finish()
                if tape.late_audio:
                    log.warning("call %s: %d late samples left out of the recording", self.call_id, tape.late_audio)
                log.info("call %s recorded: %s", self.call_id, path or "nothing was heard")
                return True
        tape.encode_until(now_ms)
        return False

    async def _fail(self, exc: Exception) -> None:
        self.failed = True
        log.error("call %s: recording failed: %s", self.call_id, exc, exc_info=exc)
        try:
            await asyncio.get_running_loop().run_in_executor(self.recordings.executor, self.tape.abandon)
        except OSError:
            log.exception("call %s: could not remove the unfinished recording", self.call_id)
        try:
            await self.recordings.log_event(self.call_id, "recording_failed", reason=f"{type(exc).__name__}: {exc}"[:300])
        except Exception:  # the call may be gone from the database too; the log line above stays
            log.exception("call %s: could not log the recording failure", self.call_id)


class LegTap:
    """A party's microphone as the recorder hears it; follows the party's current call like `CallLeg`."""

    def __init__(self, recordings: Recordings, speaker: Speaker) -> None:
        self.recordings = recordings
        self.channel = CHANNEL[speaker]
        self.call_id: str | None = None
        self._format = "pcm16"

    def start(self, audio_format: str) -> None:
        self._format = audio_format
        if (recording := self._current()) is not None:
            recording.put("start", self.channel, audio_format)

    def frame(self, call_id: str, data: bytes) -> None:
        """A frame of `call_id`, which the caller checked is in progress."""
        if call_id != self.call_id:
            self.detach()
            self.call_id = call_id
            recording = self.recordings.recording_for(call_id)
            if recording is not None:
                recording.put("start", self.channel, self._format)
        if (recording := self._current()) is not None:
            recording.put("frame", self.channel, data)

    def stop(self) -> None:
        if (recording := self._current()) is not None:
            recording.put("stop", self.channel)

    def detach(self) -> None:
        """The party left this call (or moved on to another)."""
        self.stop()
        self.call_id = None

    def _current(self) -> CallRecording | None:
        return self.recordings.active.get(self.call_id) if self.call_id is not None else None


class Recordings:
    """Every recording this instance is making, the files, and the retention job; created in the lifespan."""

    def __init__(
        self,
        settings: Settings,
        offset_ms: Callable[[str], int],
        log_event: LogEvent,
        executor: Executor | None = None,
    ) -> None:
        self.enabled = settings.recording_enabled
        self.directory = settings.resolved_recording_dir
        self.retention_days = settings.recording_retention_days
        self.sweep_seconds = settings.recording_sweep_seconds
        self.hold_back_ms = int(settings.max_utterance_seconds * 1000) + HOLD_BACK_MARGIN_MS
        self.offset_ms = offset_ms
        self.log_event = log_event
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(max_workers=2, thread_name_prefix="recording")
        self.active: dict[str, CallRecording] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.retention_days > 0:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_periodically())

    async def stop(self) -> None:
        """Finish the recordings under way (their calls were just ended) and stop the job."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        await asyncio.gather(*(r.finish() for r in list(self.active.values())), return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_executor:
            self.executor.shutdown(wait=True)

    def path(self, call_id: str) -> Path:
        if not CALL_ID.fullmatch(call_id):
            raise ValueError(f"not a call id: {call_id!r}")  # never a path of the caller's choosing
        return self.directory / f"{call_id}{SUFFIX}"

    def tap(self, speaker: Speaker) -> LegTap | None:
        return LegTap(self, speaker) if self.enabled else None

    def recording_for(self, call_id: str) -> CallRecording | None:
        """The call's recording, started with its first frame (the leg checked the call is in progress)."""
        recording = self.active.get(call_id)
        if recording is None and self.enabled:
            recording = self.active[call_id] = CallRecording(self, call_id)
        return recording

    def on_event(self, event: LoggedEvent) -> None:
        """A hub observer: finals that held a card number or SSN are silenced; `call_ended` finishes the file."""
        if event.type == "transcript" and event.final and held_pii(event.text):  # type: ignore[attr-defined]
            self._silence(event.call_id, event.start_ms, event.end_ms)  # type: ignore[attr-defined]
        elif event.type == "call_ended" and event.call_id in self.active:
            self._spawn(self._finish_later(event.call_id))

    async def delete(self, call_id: str) -> bool:
        """Remove a call's recording; False if it had none. Raises RecordingBusy while it is being made."""
        if call_id in self.active:
            raise RecordingBusy(call_id)
        path = self.path(call_id)
        return await asyncio.get_running_loop().run_in_executor(self.executor, _unlink, path)

    async def sweep(self) -> int:
        """Delete the recordings past retention now; how many went."""
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, sweep_expired, self.directory, self.retention_days
        )

    def _silence(self, call_id: str, start_ms: int, end_ms: int) -> None:
        recording = self.active.get(call_id)
        if recording is not None and not recording.finishing:
            recording.put("silence", 0, (start_ms, end_ms))
        else:  # finished, or finishing: the file is rewritten once it is
            self._spawn(self._silence_file(call_id, recording, start_ms, end_ms))

    async def _silence_file(self, call_id: str, recording: CallRecording | None, start_ms: int, end_ms: int) -> None:
        if recording is not None:
            await recording.finish()
        path = self.path(call_id)
        if not path.exists():
            return
        span = [(ms_to_samples(start_ms), ms_to_samples(end_ms))]
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, silence_file, path, span)
        except Exception as exc:
            log.error("call %s: could not silence a span of its recording: %s", call_id, exc)
            await self.log_event(call_id, "recording_failed", reason=f"a card number could not be silenced: {exc}"[:300])

    async def _finish_later(self, call_id: str) -> None:
        await asyncio.sleep(FINISH_SETTLE_SECONDS)
        recording = self.active.get(call_id)
        if recording is not None:
            await recording.finish()
            self.active.pop(call_id, None)

    async def _sweep_periodically(self) -> None:
        while True:
            try:
                deleted = await self.sweep()
                if deleted:
                    log.info("deleted %d recordings past %d days", deleted, self.retention_days)
            except OSError:
                log.exception("the recordings sweep failed")
            await asyncio.sleep(self.sweep_seconds)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class RecordingBusy(Exception):
    """The call is still being recorded."""


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
