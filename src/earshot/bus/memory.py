"""In-process bus: one bounded queue per subscriber, for a single Earshot instance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from earshot.bus.subscription import BoundedSubscription


class MemoryBus:
    def __init__(self, subscriber_queue_size: int = 1000) -> None:
        self._subscribers: dict[str, set[BoundedSubscription]] = defaultdict(set)
        self._queue_size = subscriber_queue_size

    @property
    def linked(self) -> bool:
        return True  # in this process: always

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._subscribers.clear()

    async def publish(self, channel: str, message: str) -> None:
        for subscription in tuple(self._subscribers.get(channel, ())):
            subscription.offer(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[BoundedSubscription]:
        subscription = BoundedSubscription(self._queue_size)
        self._subscribers[channel].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]
