"""Open staff WebSockets by user and login, so that an account change closes them at once.

A socket is authenticated once, at its handshake; without this registry a disabled agent, a
demoted supervisor or a logged-out browser would keep its open socket until it next reconnects.
Closing is announced on the bus too, so every instance closes its own sockets of that user.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from earshot.bus import Bus, SubscriberOverflow

log = logging.getLogger(__name__)

CHANNEL = "staff-sockets"
CLOSE_LOGGED_OUT = 4401
"""The close code the web app reads as "logged out": it forgets the user and shows the login page."""

Closer = Callable[[str], Awaitable[None]]
"""Closes one socket with CLOSE_LOGGED_OUT and the given reason, and lets go of what it held."""


@dataclass(eq=False)
class OpenSocket:
    """One registered socket (compared by identity)."""

    user_id: int
    login_id: str
    close: Closer


class StaffSockets:
    """The staff sockets open on this instance, and a bus listener for closes asked elsewhere."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._open: set[OpenSocket] = set()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        subscribed = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(self._listen(subscribed))
        await subscribed.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    def add(self, user_id: int, login_id: str, close: Closer) -> OpenSocket:
        """Register an open socket; pass what this returns to `discard` when the socket ends."""
        entry = OpenSocket(user_id, login_id, close)
        self._open.add(entry)
        return entry

    def discard(self, entry: OpenSocket) -> None:
        self._open.discard(entry)

    def count(self, user_id: int) -> int:
        return sum(1 for entry in self._open if entry.user_id == user_id)

    async def close(self, user_id: int, reason: str, login_id: str | None = None) -> None:
        """Close the user's sockets (only those of `login_id` when given), here and on every instance.

        Local ones are closed before this returns, so a caller that then acts (offers a call,
        answers the admin) knows the old sockets are gone.
        """
        await self._close_here(user_id, reason, login_id)
        await self.bus.publish(CHANNEL, json.dumps({"user_id": user_id, "login_id": login_id, "reason": reason}))

    async def _close_here(self, user_id: int, reason: str, login_id: str | None) -> None:
        doomed = [
            entry
            for entry in self._open
            if entry.user_id == user_id and (login_id is None or entry.login_id == login_id)
        ]
        for entry in doomed:
            self._open.discard(entry)
            try:
                await entry.close(reason)
            except Exception:  # one failing socket must not keep the others open
                log.exception("closing a socket of user %d failed", user_id)
        if doomed:
            log.info("closed %d socket(s) of user %d: %s", len(doomed), user_id, reason)

    async def _listen(self, subscribed: asyncio.Event) -> None:
        while True:
            try:
                async with self.bus.subscribe(CHANNEL) as subscription:
                    subscribed.set()
                    async for text in subscription:
                        order = json.loads(text)
                        await self._close_here(int(order["user_id"]), str(order["reason"]), order.get("login_id"))
            except SubscriberOverflow as missed:
                log.warning("may have missed socket closes (%s); resubscribing", missed)
