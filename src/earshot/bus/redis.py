"""Redis bus: fan-out between Earshot instances over Redis pub/sub, one connection per instance.

Publishing goes through a small connection pool. Receiving goes through one pub/sub connection
per instance, whatever the number of local subscribers: a reader task hands each message to the
bounded queues of that channel's local subscribers. A channel is subscribed in Redis while it
has at least one local subscriber.

If the pub/sub connection drops (Redis restarts, the network fails), messages published
meanwhile are lost to this instance. Every subscriber that was live is then told so:
its iterator raises `SubscriberGap`, and it resumes from the event log. The reader reconnects
with backoff and subscribes again to every channel that still has subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from earshot.bus.base import BusUnavailable, SubscriberGap
from earshot.bus.subscription import BoundedSubscription

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 0.05


class _Channel:
    """The local subscribers of one channel; `confirmed` once Redis has acknowledged SUBSCRIBE."""

    def __init__(self) -> None:
        self.subscriptions: set[BoundedSubscription] = set()
        self.confirmed = asyncio.Event()


class _Link:
    """One pub/sub connection to Redis: commands go out in order, one writer task sends them."""

    def __init__(self, connection: AbstractConnection) -> None:
        self.connection = connection
        # Not bounded by a size: it holds one command per local subscribe or unsubscribe in
        # flight (and one PING), each a few bytes.
        self.commands: asyncio.Queue[tuple[str, ...]] = asyncio.Queue()
        # Redis acknowledges every (UN)SUBSCRIBE of a channel in the order they were sent; each
        # entry is the _Channel a SUBSCRIBE was sent for, or None for an UNSUBSCRIBE.
        self.unacknowledged: dict[str, deque[_Channel | None]] = defaultdict(deque)

    def send(self, command: str, channel: str, acknowledges: _Channel | None) -> None:
        self.unacknowledged[channel].append(acknowledges)
        self.commands.put_nowait((command, channel))

    def ping(self) -> None:
        self.commands.put_nowait(("PING",))

    def acknowledged(self, channel: str) -> _Channel | None:
        pending = self.unacknowledged.get(channel)
        return pending.popleft() if pending else None

    async def write(self) -> None:
        while True:
            await self.connection.send_command(*await self.commands.get())


class RedisBus:
    """The bus over Redis pub/sub (`redis://` or `rediss://` URLs), for several instances.

    `timeout` bounds publishing, connecting and waiting for a subscription's confirmation;
    the pub/sub connection is PINGed after `health_check_interval` seconds of silence and
    counted lost when a PING goes unanswered for as long again.
    """

    def __init__(
        self,
        url: str,
        subscriber_queue_size: int = 1000,
        timeout: float = 2.0,
        health_check_interval: float = 5.0,
        max_retry_seconds: float = 5.0,
    ) -> None:
        self._url = url
        parts = urlsplit(url)
        self.where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"  # no credentials
        self._queue_size = subscriber_queue_size
        self._timeout = timeout
        self._health_check_interval = health_check_interval
        self._max_retry_seconds = max_retry_seconds
        self._client: Redis | None = None
        self._channels: dict[str, _Channel] = {}
        self._link: _Link | None = None
        self._linked = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    @property
    def linked(self) -> bool:
        """Whether the pub/sub connection to Redis is up."""
        return self._link is not None

    async def connect(self) -> None:
        """Open the publishing pool and the pub/sub connection; fail if Redis is unreachable."""
        self._client = Redis.from_url(
            self._url,
            decode_responses=True,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry=Retry(NoBackoff(), 1),  # once, for a pooled connection that Redis closed meanwhile
        )
        self._reader = asyncio.get_running_loop().create_task(self._keep_linked(), name="redis bus reader")
        try:
            async with asyncio.timeout(self._timeout):
                await self._linked.wait()
        except TimeoutError:
            await self.disconnect()
            raise BusUnavailable(f"Redis at {self.where} is unreachable") from None

    async def disconnect(self) -> None:
        for channel in self._channels.values():
            for subscription in channel.subscriptions:
                subscription.end(SubscriberGap("the bus was disconnected"))
        self._channels.clear()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, channel: str, message: str) -> None:
        """Publish, or raise `BusUnavailable` within `timeout` if Redis cannot take it."""
        if self._client is None:
            raise BusUnavailable("the bus is not connected")
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.publish(channel, message)
        except (RedisError, OSError, TimeoutError) as error:
            raise BusUnavailable(f"cannot publish on {channel}: Redis at {self.where} is unreachable") from error

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[BoundedSubscription]:
        """Yields once Redis has confirmed the subscription, so nothing published later is missed.

        If Redis cannot confirm it within `timeout`, the subscription yielded has already ended
        with `SubscriberGap`: its owner resumes from the event log and tries again later.
        """
        subscription = BoundedSubscription(self._queue_size)
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = _Channel()
            if self._link is not None:
                self._link.send("SUBSCRIBE", channel, state)
        state.subscriptions.add(subscription)
        try:
            if not state.confirmed.is_set():
                try:
                    async with asyncio.timeout(self._timeout):
                        await state.confirmed.wait()
                except TimeoutError:
                    subscription.end(SubscriberGap(f"Redis at {self.where} did not confirm the subscription"))
            yield subscription
        finally:
            state.subscriptions.discard(subscription)
            if not state.subscriptions and self._channels.get(channel) is state:
                del self._channels[channel]
                if self._link is not None:
                    self._link.send("UNSUBSCRIBE", channel, None)

    # ------------------------------------------------------------------ the pub/sub connection

    async def _keep_linked(self) -> None:
        """Hold the pub/sub connection open: reconnect with backoff whenever it is lost."""
        delay = FIRST_RETRY_SECONDS
        lost_at: float | None = None
        while True:
            connection = self._new_connection()
            try:
                async with asyncio.timeout(self._timeout):  # the handshake reads have no timeout
                    await connection.connect()
                if lost_at is not None:
                    log.info("reconnected to Redis at %s after %.1f s", self.where, time.monotonic() - lost_at)
                    lost_at = None
                delay = FIRST_RETRY_SECONDS
                await self._serve(self._open_link(connection))
            except (RedisError, OSError) as error:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("lost Redis at %s (%s); reconnecting", self.where, error)
                else:
                    log.debug("Redis at %s still unreachable: %s", self.where, error)
            except Exception:
                lost_at = lost_at or time.monotonic()
                log.exception("Redis bus reader failed; reconnecting")
            finally:
                self._close_link()
                with contextlib.suppress(Exception):
                    await connection.disconnect(nowait=True)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # jitter: instances retry apart
            delay = min(delay * 2, self._max_retry_seconds)

    def _new_connection(self) -> AbstractConnection:
        assert self._client is not None
        pool = self._client.connection_pool
        options: dict[str, Any] = {
            **pool.connection_kwargs,
            "socket_timeout": None,  # reads wait for messages; _read bounds silence itself
            "retry": Retry(NoBackoff(), 0),  # reconnecting is ours to do, so a gap is never hidden
            "protocol": 2,  # pub/sub messages as plain replies (redis-py 8 speaks RESP3 by default)
        }
        for resp3_only in ("maint_notifications_config", "maint_notifications_pool_handler"):
            options.pop(resp3_only, None)
        return pool.connection_class(**options)

    def _open_link(self, connection: AbstractConnection) -> _Link:
        link = _Link(connection)
        for channel, state in self._channels.items():
            link.send("SUBSCRIBE", channel, state)
        self._link = link
        self._linked.set()
        return link

    def _close_link(self) -> None:
        """Messages may be lost from now until the link is back: every live subscriber is told."""
        self._link = None
        self._linked.clear()
        told = 0
        for state in self._channels.values():
            if state.confirmed.is_set():
                state.confirmed.clear()
                for subscription in state.subscriptions:
                    subscription.end(SubscriberGap(f"lost Redis at {self.where}; resume from the event log"))
                    told += 1
        if told:
            log.warning("%d subscriber(s) told to resume from the event log", told)

    async def _serve(self, link: _Link) -> None:
        """Write and read on the link until either side fails; raise that failure."""
        tasks = {asyncio.ensure_future(link.write()), asyncio.ensure_future(self._read(link))}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()
        raise RedisConnectionError("the pub/sub link stopped")

    async def _read(self, link: _Link) -> None:
        pinged = False
        while True:
            reply = await link.connection.read_response(timeout=self._health_check_interval)
            if reply is None:  # silence: a PING tells a quiet connection from a dead one
                if pinged:
                    raise RedisConnectionError(f"Redis at {self.where} stopped answering")
                link.ping()
                pinged = True
                continue
            pinged = False
            self._dispatch(link, reply)

    def _dispatch(self, link: _Link, reply: Any) -> None:
        if not isinstance(reply, list):  # "PONG" while no channel is subscribed
            return
        kind, channel = reply[0], reply[1]
        if kind == "message":
            state = self._channels.get(channel)
            if state is not None:
                for subscription in tuple(state.subscriptions):
                    subscription.offer(reply[2])
        elif kind in ("subscribe", "unsubscribe"):
            state = link.acknowledged(channel)
            if state is not None and self._channels.get(channel) is state:
                state.confirmed.set()
