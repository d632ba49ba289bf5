"""One WebSocket peer: a bounded outbox drained by one writer, fed by bus subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable

from fastapi import WebSocket
from pydantic import BaseModel

from earshot.bus import Bus, SubscriberOverflow
from earshot.calls.protocol import Error, Pong

log = logging.getLogger(__name__)

OUTBOX_SIZE = 512
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and resumes by seq

MessageFilter = Callable[[dict[str, object]], bool]
# The logged events of a call after a seq, from the log: fills a gap in what the bus delivered.
History = Callable[[str, int], Awaitable[Iterable[BaseModel]]]


def _everything(_message: dict[str, object]) -> bool:
    return True


class Connection:
    """Sends to one client without ever blocking the sender.

    Overflow policy: if the client reads too slowly and the outbox fills, the connection is
    closed with 1013; the client reconnects and resumes from the event log, so nothing is lost.
    Answers to the client's own messages (`pong`, `error`) are shed once the outbox is half
    full: a client that floods us loses answers to its flood, not its connection.
    """

    def __init__(self, websocket: WebSocket, bus: Bus) -> None:
        self.websocket = websocket
        self.bus = bus
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self._followers: dict[str, asyncio.Task[None]] = {}
        self._last_seq: dict[str, int] = {}  # per call: the highest seq sent to the client
        self._seen_seq: dict[str, int] = {}  # per call: the highest seq that came, filtered out or not
        self._closed = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.shed_replies = 0

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, message: BaseModel) -> None:
        if isinstance(message, Pong | Error) and self._outbox.qsize() >= OUTBOX_SIZE // 2:
            self.shed_replies += 1
            if self.shed_replies == 1 or self.shed_replies % 1000 == 0:
                log.info("client flooding: %d answers shed so far", self.shed_replies)
            return
        self._enqueue(message.model_dump_json())

    def _enqueue(self, text: str) -> None:
        if self.closed:
            return
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("client too slow, closing its connection")
            asyncio.get_running_loop().create_task(self.close(CLOSE_TOO_SLOW, "client too slow"))

    def _deliver(self, text: str, keep: MessageFilter) -> None:
        message = json.loads(text)
        call_id, seq = message.get("call_id"), message.get("seq")
        if isinstance(call_id, str) and isinstance(seq, int):
            self._seen_seq[call_id] = max(seq, self._seen_seq.get(call_id, 0))
        if not keep(message):
            return
        if isinstance(call_id, str) and isinstance(seq, int):
            # Replay and live delivery overlap by design; each event reaches a client once.
            if seq <= self._last_seq.get(call_id, 0):
                return
            self._last_seq[call_id] = seq
        self._enqueue(text)

    async def _fill_gap(self, text: str, keep: MessageFilter, history: History) -> None:
        """Before a live event whose seq skips some, send the skipped ones from the log.

        A seq goes missing on the bus when another instance's later commit is published before
        an earlier one (the earlier then arrives as a repeat and is dropped), or when an instance
        dies between its commit and its publish. Seqs are handed out under the call's row lock,
        so once seq n is committed every seq below it is too, and the log has them.
        """
        message = json.loads(text)
        call_id, seq = message.get("call_id"), message.get("seq")
        if not isinstance(call_id, str) or not isinstance(seq, int):
            return
        seen = self._seen_seq.get(call_id)
        if seen is None or seq <= seen + 1:
            return
        try:
            missed = await history(call_id, seen)
        except Exception:  # the log unreachable: deliver what came, as before
            log.warning("call %s: could not read seqs %d-%d from the log", call_id, seen + 1, seq - 1, exc_info=True)
            return
        for event in missed:
            self._deliver(event.model_dump_json(), keep)

    async def follow(
        self,
        channel: str,
        keep: MessageFilter = _everything,
        replay: Callable[[], Awaitable[Iterable[BaseModel]]] | None = None,
        history: History | None = None,
    ) -> None:
        """Forward a bus channel to this client; `replay` history first, with no gap and no repeat.

        With `history`, a gap in the seqs the bus delivers is filled from the log (`_fill_gap`).
        """
        if channel in self._followers:
            if replay is not None:
                for message in await replay():
                    self._deliver(message.model_dump_json(), keep)
            return
        subscribed = asyncio.Event()
        go = asyncio.Event()

        async def forward() -> None:
            try:
                async with self.bus.subscribe(channel) as subscription:
                    subscribed.set()
                    await go.wait()
                    async for text in subscription:
                        if history is not None:
                            await self._fill_gap(text, keep, history)
                        self._deliver(text, keep)
            except SubscriberOverflow:
                await self.close(CLOSE_TOO_SLOW, "client too slow")

        self._followers[channel] = asyncio.get_running_loop().create_task(forward())
        await subscribed.wait()
        if replay is not None:
            for message in await replay():
                self._deliver(message.model_dump_json(), keep)
        go.set()

    def unfollow(self, channel: str) -> None:
        task = self._followers.pop(channel, None)
        if task is not None:
            task.cancel()

    def channels(self) -> list[str]:
        return list(self._followers)

    def last_seq(self, call_id: str) -> int:
        return self._last_seq.get(call_id, 0)

    def rewind(self, call_id: str, seq: int) -> None:
        """The client says it has seen up to `seq`: the next replay starts after it."""
        self._last_seq[call_id] = max(0, seq)
        self._seen_seq[call_id] = max(0, seq)

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        """Drain the outbox into the socket until the connection closes."""
        with contextlib.suppress(Exception):
            while (text := await self._outbox.get()) is not None:
                await self.websocket.send_text(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Flush what is queued (briefly), then close the socket."""
        if self.closed:
            return
        self._closed.set()
        for channel in list(self._followers):
            self.unfollow(channel)
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(None)
        if self._writer is not None and self._writer is not asyncio.current_task():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._writer), timeout=1.0)
            self._writer.cancel()
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason)
