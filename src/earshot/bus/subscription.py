"""One local subscriber's bounded queue, and the overflow policy every backend shares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from earshot.bus.base import SubscriberOverflow

_END = object()


class BoundedSubscription:
    """Messages for one subscriber, in order, at most `maxsize` waiting.

    Overflow policy: never block the publisher; a subscriber that cannot keep up is cut off
    once and told so (its iterator raises `SubscriberOverflow`), and its client resumes from
    the event log by seq. `end` cuts it off the same way for another reason (a gap).
    """

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=maxsize)
        self.ended: SubscriberOverflow | None = None

    def offer(self, message: str) -> None:
        if self.ended is not None:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.end(SubscriberOverflow("subscriber fell behind"))

    def end(self, error: SubscriberOverflow) -> None:
        """Deliver what is queued, then raise `error` in the iterator; later offers are dropped."""
        if self.ended is not None:
            return
        self.ended = error
        if self.queue.full():
            self.queue.get_nowait()  # the client resumes from the log anyway
        self.queue.put_nowait(_END)

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            item = await self.queue.get()
            if item is _END:
                assert self.ended is not None
                raise self.ended
            assert isinstance(item, str)
            yield item
