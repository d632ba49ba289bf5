"""Work asked for often that only needs doing once for everything asked so far."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Coalesced:
    """Runs `work` in the background after each `request`; requests made meanwhile share one more run.

    What `work` publishes reflects the database at the time it runs, so one run after the last
    request covers every request before it. At 100 calls turning over, the queue positions and the
    supervisors' list of live calls were rebuilt a dozen times a second, each time under the hub's
    lock and before the change's own caller could go on (an agent's console followed its new call
    only after that): seconds of delay on a busy instance, for views that only need the latest state.
    """

    def __init__(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        self._work = work
        self._name = name
        self._wanted = False
        self._running: asyncio.Task[None] | None = None

    def request(self) -> None:
        self._wanted = True
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        try:
            while self._wanted:
                self._wanted = False
                try:
                    await self._work()
                except Exception:  # the next request tries again; the caller's change is committed
                    log.exception("%s failed", self._name)
        finally:
            self._running = None

    async def settled(self) -> None:
        """Wait until every request so far has had its run (tests; shutdown)."""
        while self._running is not None:
            await asyncio.shield(self._running)

    async def stop(self) -> None:
        self._wanted = False
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)
