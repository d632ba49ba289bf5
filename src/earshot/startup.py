"""Start-up that waits for PostgreSQL and Redis instead of exiting at once.

Instances and the services they need often start together (a compose file, a host coming back
after a power cut). A server that exits when the database is not up yet only turns its service
manager's restarts into a crash loop; it waits `startup_wait_seconds`, saying what it waits for,
and gives up with the last error after that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 5.0


async def when_reachable(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    patience_seconds: float,
    is_outage: Callable[[BaseException], bool],
) -> T:
    """`attempt()`, tried again with backoff while it fails with an outage, for up to `patience_seconds`.

    Any other error is raised at once: a wrong password or a bad URL does not get better by waiting.
    """
    deadline = time.monotonic() + patience_seconds
    delay = FIRST_RETRY_SECONDS
    waited_since = time.monotonic()
    while True:
        try:
            result = await attempt()
        except Exception as error:
            left = deadline - time.monotonic()
            if not is_outage(error):
                raise
            if left <= 0:
                log.error("%s was still unreachable after %.0f s: giving up (%s)", what, patience_seconds, error)
                raise
            log.warning("%s is not reachable yet (%s); trying again, for %.0f s more", what, error, left)
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)
            continue
        if time.monotonic() - waited_since > FIRST_RETRY_SECONDS:
            log.info("%s is reachable after %.1f s", what, time.monotonic() - waited_since)
        return result
