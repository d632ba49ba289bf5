"""The Redis bus between two Earshot instances (two buses) on one real, throwaway redis-server."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from earshot.bus import BusUnavailable, MemoryBus, RedisBus, SubscriberGap, SubscriberOverflow, create_bus
from earshot.calls.connection import Connection
from tests.bus.conftest import RedisServer
from tests.harness import free_port

TIMEOUT = 2.0


async def next_message(messages: AsyncIterator[str], timeout: float = TIMEOUT) -> str:
    return await asyncio.wait_for(anext(messages), timeout)


async def until(condition: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def start_bus(url: str, **options: Any) -> RedisBus:
    bus = RedisBus(url, **{"timeout": TIMEOUT, **options})
    await bus.connect()
    return bus


@pytest.fixture
async def buses(redis_server: RedisServer) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two Earshot instances' buses on the same Redis."""
    a, b = await start_bus(redis_server.url), await start_bus(redis_server.url)
    yield a, b
    await a.disconnect()
    await b.disconnect()


@pytest.fixture
async def probe(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A plain client, to ask Redis what it sees."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


async def redis_subscribers(probe: Redis, channel: str) -> int:
    return int(dict(await probe.pubsub_numsub(channel))[channel])


def test_create_bus_picks_the_backend_from_the_url() -> None:
    assert isinstance(create_bus("memory://"), MemoryBus)
    assert isinstance(create_bus("redis://127.0.0.1:6379/0"), RedisBus)
    assert isinstance(create_bus("rediss://user:secret@redis.example:6380/0"), RedisBus)
    assert create_bus("rediss://user:secret@redis.example:6380/0").where == "redis.example:6380"
    with pytest.raises(ValueError, match="unsupported bus URL"):
        create_bus("kafka://broker:9092")


async def test_a_message_published_on_one_instance_reaches_subscribers_on_both(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    a, b = buses
    async with a.subscribe("call:1") as on_a, b.subscribe("call:1") as on_b, a.subscribe("call:2") as other:
        await b.publish("call:1", "hello")
        await a.publish("call:1", "again")
        assert [await next_message(aiter(on_a)) for _ in range(2)] == ["hello", "again"]
        assert [await next_message(aiter(on_b)) for _ in range(2)] == ["hello", "again"]
        with pytest.raises(TimeoutError):
            await next_message(aiter(other), timeout=0.2)


async def test_a_message_published_right_after_subscribe_returns_is_never_lost(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    """`subscribe` yields only after Redis confirmed SUBSCRIBE, so another instance's publish lands."""
    a, b = buses
    for i in range(300):
        async with a.subscribe(f"call:{i}") as subscription:
            await b.publish(f"call:{i}", str(i))
            assert await next_message(aiter(subscription)) == str(i)


async def test_resubscribing_at_once_to_a_channel_just_left_is_confirmed_too(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    """UNSUBSCRIBE then SUBSCRIBE of one channel: the second waits for its own acknowledgement."""
    a, b = buses
    for i in range(200):
        async with a.subscribe("call:again") as subscription:
            await b.publish("call:again", str(i))
            assert await next_message(aiter(subscription)) == str(i)


async def test_a_channel_is_subscribed_in_redis_once_per_instance_while_it_has_local_subscribers(
    buses: tuple[RedisBus, RedisBus], probe: Redis
) -> None:
    a, b = buses
    async with a.subscribe("call:1") as first, b.subscribe("call:1"):
        async with a.subscribe("call:1") as second, a.subscribe("call:2"), a.subscribe("call:3"):
            assert await redis_subscribers(probe, "call:1") == 2  # one per instance, not per subscriber
            clients = [client for client in await probe.client_list() if int(client["sub"]) > 0]
            assert len(clients) == 2  # one pub/sub connection per instance, whatever the channels
            await b.publish("call:1", "both")
            assert await next_message(aiter(first)) == "both"
            assert await next_message(aiter(second)) == "both"
        assert await redis_subscribers(probe, "call:1") == 2  # `first` still listens on a
        await b.publish("call:1", "still")
        assert await next_message(aiter(first)) == "still"
    deadline = time.monotonic() + 5
    while await redis_subscribers(probe, "call:1") or await redis_subscribers(probe, "call:2"):
        assert time.monotonic() < deadline, "the last local subscriber left but the channel stayed subscribed"
        await asyncio.sleep(0.01)


async def test_a_subscriber_that_falls_behind_is_cut_off_once_and_the_others_are_not(
    redis_server: RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    _, b = buses
    small = await start_bus(redis_server.url, subscriber_queue_size=4)
    try:
        async with small.subscribe("call:1") as slow, b.subscribe("call:1") as fast:
            for i in range(10):
                await b.publish("call:1", str(i))
            await until(lambda: slow.ended is not None)
            messages = aiter(slow)
            assert [await next_message(messages) for _ in range(3)] == ["1", "2", "3"]
            with pytest.raises(SubscriberOverflow):
                await next_message(messages)
            with pytest.raises(StopAsyncIteration):
                await next_message(messages)
            assert [await next_message(aiter(fast)) for _ in range(10)] == [str(i) for i in range(10)]
    finally:
        await small.disconnect()


async def test_subscribers_hear_of_the_gap_when_redis_restarts_and_then_messages_flow_again(
    redis_server: RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    a, b = buses
    async with a.subscribe("call:1") as on_a, b.subscribe("call:1") as on_b:
        await b.publish("call:1", "before")
        assert await next_message(aiter(on_a)) == "before"
        assert await next_message(aiter(on_b)) == "before"
        redis_server.kill()
        for subscription in (on_a, on_b):
            with pytest.raises(SubscriberGap):
                await next_message(aiter(subscription))
        redis_server.start()
        await until(lambda: a.linked and b.linked)
        # The cut-off subscriptions still hold call:1, so the reader subscribed it again; a
        # newcomer waits for that confirmation, then hears what the other instance publishes.
        async with a.subscribe("call:1") as again:
            await b.publish("call:1", "after")  # b's pooled connection died with Redis: it reconnects
            assert await next_message(aiter(again)) == "after"


async def test_a_subscriber_that_arrives_during_an_outage_is_confirmed_once_redis_is_back(
    redis_server: RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    a, b = buses
    redis_server.kill()
    await until(lambda: not a.linked)
    context = a.subscribe("call:1")
    subscribing = asyncio.ensure_future(context.__aenter__())
    await asyncio.sleep(0.2)
    assert not subscribing.done()  # not before Redis confirms it
    redis_server.start()
    subscription = await asyncio.wait_for(subscribing, TIMEOUT)
    try:
        assert subscription.ended is None
        await b.publish("call:1", "welcome back")
        assert await next_message(aiter(subscription)) == "welcome back"
    finally:
        await context.__aexit__(None, None, None)


async def test_subscribing_while_redis_stays_down_reports_a_gap_instead_of_hanging(
    redis_server: RedisServer,
) -> None:
    bus = await start_bus(redis_server.url, timeout=0.5)
    try:
        redis_server.kill()
        await until(lambda: not bus.linked)
        started = time.monotonic()
        async with bus.subscribe("call:1") as subscription:
            with pytest.raises(SubscriberGap):
                await next_message(aiter(subscription))
        assert time.monotonic() - started < 0.5 + 1.0  # its timeout, and room for a busy machine
    finally:
        await bus.disconnect()


async def test_publishing_while_redis_is_down_fails_at_once_with_a_clear_error(
    redis_server: RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    a, _ = buses
    redis_server.kill()
    started = time.monotonic()
    with pytest.raises(BusUnavailable, match=f"Redis at 127.0.0.1:{redis_server.port} is unreachable"):
        await a.publish("call:1", "lost")
    assert time.monotonic() - started < TIMEOUT


async def test_publishing_to_a_redis_that_does_not_answer_fails_within_the_timeout(
    redis_server: RedisServer,
) -> None:
    bus = await start_bus(redis_server.url, timeout=0.5)
    try:
        redis_server.pause()  # accepts connections, answers nothing
        started = time.monotonic()
        with pytest.raises(BusUnavailable):
            await bus.publish("call:1", "stuck")
        assert time.monotonic() - started < 0.5 + 1.0  # its timeout, and room for a busy machine
    finally:
        redis_server.resume()
        await bus.disconnect()


async def test_a_redis_that_stops_answering_is_noticed_by_ping_and_subscribers_hear_of_the_gap(
    redis_server: RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    _, b = buses
    watchful = await start_bus(redis_server.url, health_check_interval=0.2)
    try:
        async with watchful.subscribe("call:1") as subscription:
            redis_server.pause()
            with pytest.raises(SubscriberGap):
                await next_message(aiter(subscription), timeout=3.0)
            redis_server.resume()
        await until(lambda: watchful.linked)
        async with watchful.subscribe("call:1") as subscription:
            await b.publish("call:1", "awake")
            assert await next_message(aiter(subscription)) == "awake"
    finally:
        redis_server.resume()
        await watchful.disconnect()


async def test_connect_fails_clearly_when_redis_is_unreachable() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(BusUnavailable, match="is unreachable"):
        await bus.connect()


class _Event(BaseModel):
    call_id: str
    seq: int


class _Socket:
    """What a `Connection` needs of a WebSocket: it records what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        return None


async def test_a_follower_on_another_instance_gets_every_event_once_in_order(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    """`Connection.follow` on instance a (subscribe, then replay the log) while instance b logs and
    publishes events: whenever the follow starts, no event is missed and none comes twice."""
    a, b = buses
    rng = random.Random(7)
    for trial in range(20):
        call_id, log = f"call-{trial}", []
        follow_after = rng.randrange(0, 50)

        async def publish_events() -> None:
            for seq in range(1, 101):
                event = _Event(call_id=call_id, seq=seq)
                log.append(event)  # append to the event log, then publish: as the hub does
                await b.publish(call_id, event.model_dump_json())
                if rng.random() < 0.3:
                    await asyncio.sleep(0)

        async def replay() -> list[_Event]:
            return list(log)

        publishing = asyncio.ensure_future(publish_events())
        await until(lambda: len(log) >= follow_after)
        socket = _Socket()
        connection = Connection(socket, a)  # type: ignore[arg-type]
        connection.start()
        await connection.follow(call_id, catch_up=replay)
        await publishing
        await until(lambda: len(socket.sent) >= 100 or connection.closed)
        await asyncio.sleep(0.05)  # nothing more may come
        assert [message["seq"] for message in socket.sent] == list(range(1, 101))
        await connection.close()
