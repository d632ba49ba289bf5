"""The in-process bus: fan-out within one Earshot instance, and its overflow policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from earshot.bus import MemoryBus, SubscriberOverflow


async def next_message(messages: AsyncIterator[str]) -> str:
    return await asyncio.wait_for(anext(messages), 1.0)


async def test_a_message_reaches_every_subscriber_of_its_channel_only() -> None:
    bus = MemoryBus()
    async with bus.subscribe("call:1") as first, bus.subscribe("call:1") as second, bus.subscribe("call:2") as other:
        await bus.publish("call:1", "hello")
        assert await next_message(aiter(first)) == "hello"
        assert await next_message(aiter(second)) == "hello"
        assert other.queue.empty()


async def test_a_subscriber_that_falls_behind_is_cut_off_once_and_the_others_are_not() -> None:
    bus = MemoryBus(subscriber_queue_size=4)
    async with bus.subscribe("call:1") as slow, bus.subscribe("call:1") as fast:
        fast_messages = aiter(fast)
        for i in range(10):
            await bus.publish("call:1", str(i))
            assert await next_message(fast_messages) == str(i)
        messages = aiter(slow)
        assert [await next_message(messages) for _ in range(3)] == ["1", "2", "3"]
        with pytest.raises(SubscriberOverflow):
            await next_message(messages)
        with pytest.raises(StopAsyncIteration):
            await next_message(messages)


async def test_a_subscriber_that_left_gets_nothing_more() -> None:
    bus = MemoryBus()
    async with bus.subscribe("call:1") as subscription:
        pass
    await bus.publish("call:1", "too late")
    assert subscription.queue.empty()
