"""One WebSocket peer: a bounded outbox drained by one writer, fed by bus subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable

from fastapi import WebSocket
from pydantic import BaseModel

from earshot.bus import Bus, SubscriberGap, SubscriberOverflow
from earshot.calls.protocol import Error, Pong

log = logging.getLogger(__name__)

OUTBOX_SIZE = 512
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and resumes by seq
CLOSE_TRY_AGAIN = CLOSE_TOO_SLOW  # the same remedy when events were missed and cannot be caught up now
RESUBSCRIBE_FIRST_SECONDS = 0.1
RESUBSCRIBE_MAX_SECONDS = 2.0  # on top of the bus's own wait for a confirmation (its timeout)

MessageFilter = Callable[[dict[str, object]], bool]
CatchUp = Callable[[], Awaitable[Iterable[BaseModel]]]
"""What a client following a channel has missed: a call's events after its last seq, or current state."""


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
        self._last_seq: dict[str, int] = {}
        self._closed = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.shed_replies = 0
        self._closing: asyncio.Task[None] | None = None

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
            self._close_soon(CLOSE_TOO_SLOW, "client too slow")

    def _close_soon(self, code: int, reason: str) -> None:
        """Close from another task: closing cancels the followers, maybe the caller itself."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self.close(code, reason))

    def _deliver(self, text: str, keep: MessageFilter, message: dict[str, object] | None = None) -> None:
        """Pass `text` (parsed: `message`) on unless the client had it; a call event's seq is remembered."""
        if message is None:
            message = json.loads(text)
        call_id, seq = message.get("call_id"), message.get("seq")
        if isinstance(call_id, str) and isinstance(seq, int):
            # Replay and live delivery overlap by design; each event reaches a client once.
            # Counted before the filter: a customer's last seq covers events not shown to them.
            if seq <= self._last_seq.get(call_id, 0):
                return
            self._last_seq[call_id] = seq
        if keep(message):
            self._enqueue(text)

    def _skips(self, message: dict[str, object]) -> bool:
        """Whether this live event comes after one this client has not had.

        A seq goes missing on the bus when another instance's later commit is published before an
        earlier one (the earlier then arrives as a repeat and is dropped), when an instance dies
        between its commit and its publish, or when Redis was away. Seqs are handed out under the
        call's row lock, so once seq n is committed every seq below it is too, and the log has them.
        """
        call_id, seq = message.get("call_id"), message.get("seq")
        return isinstance(call_id, str) and isinstance(seq, int) and seq > self._last_seq.get(call_id, 0) + 1

    async def follow(self, channel: str, keep: MessageFilter = _everything, catch_up: CatchUp | None = None) -> None:
        """Forward a bus channel to this client, `catch_up` first (history or current state): no gap, no repeat.

        Returns once the channel is subscribed and caught up. If the bus later loses messages
        (its backend went away and came back), the channel is subscribed again with backoff and
        `catch_up` runs again; so it does when a logged event arrives after a gap in the seqs.
        """
        if channel in self._followers:
            if catch_up is not None:
                self._deliver_all(await catch_up(), keep)
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.get_running_loop().create_task(self._forward(channel, keep, catch_up, ready))
        self._followers[channel] = task
        try:
            await ready
        except BaseException:
            if self._followers.get(channel) is task:
                del self._followers[channel]
            task.cancel()
            raise

    def _deliver_all(self, messages: Iterable[BaseModel], keep: MessageFilter) -> None:
        for message in messages:
            self._deliver(message.model_dump_json(), keep)

    async def _forward(
        self, channel: str, keep: MessageFilter, catch_up: CatchUp | None, ready: asyncio.Future[None]
    ) -> None:
        try:
            await self._forward_until_closed(channel, keep, catch_up, ready)
        finally:
            if not ready.done():  # unfollowed (or closed) before it was ready: nothing to wait for
                ready.set_result(None)

    async def _forward_until_closed(
        self, channel: str, keep: MessageFilter, catch_up: CatchUp | None, ready: asyncio.Future[None]
    ) -> None:
        delay = RESUBSCRIBE_FIRST_SECONDS
        while True:
            try:
                # Subscribed first, then caught up: whatever is published meanwhile waits in the subscription.
                async with self.bus.subscribe(channel) as subscription:
                    if catch_up is not None:
                        self._deliver_all(await catch_up(), keep)
                    if not ready.done():
                        ready.set_result(None)
                    async for text in subscription:
                        delay = RESUBSCRIBE_FIRST_SECONDS  # the subscription works again
                        message = json.loads(text)
                        if catch_up is not None and self._skips(message):
                            self._deliver_all(await catch_up(), keep)
                        self._deliver(text, keep, message)
            except SubscriberGap as gap:
                log.info("following %s again after a gap: %s", channel, gap)
            except SubscriberOverflow:
                self._close_soon(CLOSE_TOO_SLOW, "client too slow")
                return
            except Exception as error:
                if not ready.done():  # the first catch-up failed: the caller's request fails
                    ready.set_exception(error)
                    return
                # A catch-up failed (the database is unreachable too): the client resumes later.
                log.warning("cannot catch %s up (%s); the client resumes from the log", channel, error)
                self._close_soon(CLOSE_TRY_AGAIN, "events missed; reconnect and resume")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESUBSCRIBE_MAX_SECONDS)

    def deliver(self, messages: Iterable[BaseModel]) -> None:
        """Send these events unless the client had them already (as a replay would)."""
        self._deliver_all(messages, _everything)

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
