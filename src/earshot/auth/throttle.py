"""Slows password guessing: too many failed logins for one username from one address lock it out.

Counted in this process (`LoginThrottle`) for one instance, or in Redis (`throttle_redis`) when
instances share a Redis bus, so that guesses spread over the instances count together;
`create_login_throttle` picks one from the settings.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from earshot.config import Settings

log = logging.getLogger(__name__)

ThrottleKey = tuple[str, str]
"""(username lowercased, client address)."""

DEFAULT_MAX_KEYS = 10_000


def throttle_key(username: str, client_ip: str) -> ThrottleKey:
    """The key a login attempt is counted under; usernames are case-insensitive."""
    return (username.strip().lower(), client_ip)


class Throttle(Protocol):
    async def check(self, key: ThrottleKey) -> float | None: ...

    async def failed(self, key: ThrottleKey) -> None: ...

    async def succeeded(self, key: ThrottleKey) -> None: ...

    async def aclose(self) -> None: ...


def create_login_throttle(settings: Settings) -> Throttle:
    """In Redis when the instances share a Redis bus (`EARSHOT_BUS_URL`), else in this process."""
    if settings.bus_url.startswith(("redis://", "rediss://")):
        from earshot.auth.throttle_redis import RedisLoginThrottle

        return RedisLoginThrottle(settings.bus_url, settings.login_max_failures, settings.login_lockout_seconds)
    return LoginThrottle.from_settings(settings)


@dataclass
class _Entry:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    last_seen: float = 0.0


class LoginThrottle:
    """In-memory failure counter per key, for one process.

    A key is locked for `lockout_seconds` once it reaches `max_failures` failures within the
    last `lockout_seconds`. Entries untouched for longer than that are forgotten, and at most
    `max_keys` are kept (the least recently seen go first), so memory stays bounded.
    """

    def __init__(
        self,
        max_failures: int,
        lockout_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.max_failures = max_failures
        self.lockout_seconds = float(lockout_seconds)
        self.max_keys = max_keys
        self._clock = clock
        # Ordered by last_seen, oldest first, so stale entries are swept from the front.
        self._entries: OrderedDict[ThrottleKey, _Entry] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(settings.login_max_failures, settings.login_lockout_seconds)

    async def check(self, key: ThrottleKey) -> float | None:
        return self.check_now(key)

    async def failed(self, key: ThrottleKey) -> None:
        self.failed_now(key)

    async def succeeded(self, key: ThrottleKey) -> None:
        self.succeeded_now(key)

    async def aclose(self) -> None:
        pass

    def check_now(self, key: ThrottleKey) -> float | None:
        """Seconds left to wait when `key` is locked, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        remaining = entry.locked_until - self._clock()
        return remaining if remaining > 0 else None

    def failed_now(self, key: ThrottleKey) -> None:
        """Count one failure for `key`, locking it when the limit is reached."""
        now = self._clock()
        self._sweep(now)
        entry = self._entries.pop(key, None) or _Entry()
        window_start = now - self.lockout_seconds
        entry.failures = [t for t in entry.failures if t > window_start]
        entry.failures.append(now)
        entry.last_seen = now
        if len(entry.failures) >= self.max_failures:
            entry.locked_until = now + self.lockout_seconds
            entry.failures.clear()
            log.warning("login locked for %r from %s for %.0fs", key[0], key[1], self.lockout_seconds)
        self._entries[key] = entry
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)

    def succeeded_now(self, key: ThrottleKey) -> None:
        """Forget the failures of `key` after a successful login."""
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _sweep(self, now: float) -> None:
        # An entry last seen a full window ago has no countable failures and no live lock.
        stale_before = now - self.lockout_seconds
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.last_seen > stale_before or entry.locked_until > now:
                break
            del self._entries[key]
