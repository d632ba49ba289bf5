"""The login throttle in a real Redis: two instances' throttles count one user's failures together."""

from __future__ import annotations

from earshot.auth.throttle import throttle_key
from earshot.auth.throttle_redis import RedisLoginThrottle
from tests.redis_server import RedisServer


async def test_failures_through_two_instances_lock_the_key_for_both(redis_server: RedisServer) -> None:
    one, two = (RedisLoginThrottle(redis_server.url, 3, 60) for _ in range(2))
    key = throttle_key("Alex", "10.0.0.1")
    await one.failed(key)
    await two.failed(key)
    assert await one.check(key) is None and await two.check(key) is None
    await one.failed(key)
    for throttle in (one, two):
        wait = await throttle.check(key)
        assert wait is not None and 59 < wait <= 60
    assert await two.check(throttle_key("alex", "10.0.0.2")) is None  # another address is not locked
    await one.aclose()
    await two.aclose()


async def test_a_success_forgets_the_failures_everywhere(redis_server: RedisServer) -> None:
    one, two = (RedisLoginThrottle(redis_server.url, 3, 60) for _ in range(2))
    key = throttle_key("blake", "10.0.0.1")
    await one.failed(key)
    await one.failed(key)
    await two.succeeded(key)
    await two.failed(key)
    await one.failed(key)
    assert await one.check(key) is None
    await one.aclose()
    await two.aclose()


async def test_with_redis_gone_each_instance_still_throttles_on_its_own(redis_server: RedisServer) -> None:
    throttle = RedisLoginThrottle(redis_server.url, 2, 60)
    key = throttle_key("casey", "10.0.0.1")
    redis_server.kill()
    await throttle.failed(key)
    await throttle.failed(key)
    wait = await throttle.check(key)
    assert wait is not None and wait > 0
    await throttle.aclose()
