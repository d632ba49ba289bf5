"""The bus Protocol: publish a text message on a channel, subscribe to a channel's messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class SubscriberOverflow(Exception):
    """A subscriber fell too far behind; it should reconnect and resume from the event log."""


class SubscriberGap(SubscriberOverflow):
    """Messages may have been lost (the bus lost its backend for a while); resume from the event log.

    A subclass of `SubscriberOverflow` because the remedy is the same: whoever handles one
    handles both.
    """


class BusUnavailable(Exception):
    """The bus backend cannot be reached; the message was not published."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[str]: ...


class Bus(Protocol):
    """Fan-out of messages between connections (and, with a shared backend, between instances).

    `subscribe` yields only once the subscription is in place: every message published after
    it yields is delivered, which lets a caller subscribe first and then replay history.
    """

    @property
    def linked(self) -> bool:
        """Whether messages flow now (a shared backend may be away, reconnecting)."""
        ...

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]: ...
