"""In-process bus: one bounded queue per subscriber, for a single Earshot instance."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from earshot.bus.base import SubscriberOverflow

_OVERFLOWED = object()


class MemorySubscription:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    def offer(self, message: str) -> None:
        # Overflow policy: never block the publisher; a subscriber that cannot keep up is cut
        # off once and told so, and its client resumes from the event log by seq.
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()
            self.queue.put_nowait(_OVERFLOWED)

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            item = await self.queue.get()
            if item is _OVERFLOWED:
                raise SubscriberOverflow("subscriber fell behind")
            assert isinstance(item, str)
            yield item


class MemoryBus:
    def __init__(self, subscriber_queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[MemorySubscription]] = defaultdict(set)
        self._queue_size = subscriber_queue_size

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, message: str) -> None:
        for subscription in tuple(self._subscribers.get(channel, ())):
            subscription.offer(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[MemorySubscription]:
        subscription = MemorySubscription(self._queue_size)
        self._subscribers[channel].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]
