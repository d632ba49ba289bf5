"""The login throttle in Redis: failures counted once for every instance sharing it.

Per key, a sorted set of failure times (Redis's own clock, so instances' clocks do not matter)
and a lock key that expires by itself; a failure is counted and the lock set in one script, so
concurrent guesses through several instances cannot slip past the limit together. Nothing is
kept longer than `lockout_seconds`.
"""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from earshot.auth.throttle import LoginThrottle, ThrottleKey

log = logging.getLogger(__name__)

KEY_PREFIX = "earshot:login"

# KEYS: failures, lock. ARGV: window ms, max failures, a unique member. Returns 1 when it locked.
_FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', window)
  return 1
end
return 0
"""


class RedisLoginThrottle:
    """`LoginThrottle`'s rules, kept in Redis.

    While Redis cannot be reached, this process's own counter stands in (logged): guesses are
    still throttled per instance rather than not at all, and logins still work.
    """

    def __init__(self, url: str, max_failures: int, lockout_seconds: float) -> None:
        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.max_failures = max_failures
        self.window_ms = int(lockout_seconds * 1000)
        self.fallback = LoginThrottle(max_failures, lockout_seconds)
        self._failed = self.redis.register_script(_FAILED)

    @staticmethod
    def _keys(key: ThrottleKey) -> tuple[str, str]:
        username, address = key
        return f"{KEY_PREFIX}:failures:{username}:{address}", f"{KEY_PREFIX}:lock:{username}:{address}"

    async def check(self, key: ThrottleKey) -> float | None:
        try:
            remaining_ms = int(await self.redis.pttl(self._keys(key)[1]))
        except RedisError as exc:
            log.warning("login throttle: Redis unreachable (%s); counting in this process", exc)
            return self.fallback.check_now(key)
        return remaining_ms / 1000 if remaining_ms > 0 else None

    async def failed(self, key: ThrottleKey) -> None:
        failures, lock = self._keys(key)
        try:
            locked = await self._failed(keys=[failures, lock], args=[self.window_ms, self.max_failures, uuid.uuid4().hex])
        except RedisError as exc:
            log.warning("login throttle: Redis unreachable (%s); counting in this process", exc)
            self.fallback.failed_now(key)
            return
        if locked:
            log.warning("login locked for %r from %s for %.0fs", key[0], key[1], self.window_ms / 1000)

    async def succeeded(self, key: ThrottleKey) -> None:
        self.fallback.succeeded_now(key)
        try:
            await self.redis.delete(self._keys(key)[0])
        except RedisError as exc:
            log.warning("login throttle: Redis unreachable (%s)", exc)

    async def aclose(self) -> None:
        await self.redis.aclose()
