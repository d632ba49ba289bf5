"""Message fan-out between connections; the backend is chosen by `EARSHOT_BUS_URL`."""

from earshot.bus.base import Bus, BusUnavailable, SubscriberGap, SubscriberOverflow, Subscription
from earshot.bus.memory import MemoryBus
from earshot.bus.redis import RedisBus


def create_bus(url: str) -> Bus:
    """`memory://` (or empty) for one instance, `redis://` or `rediss://` for several."""
    if url in ("", "memory://"):
        return MemoryBus()
    if url.startswith(("redis://", "rediss://")):
        return RedisBus(url)
    raise ValueError(f"unsupported bus URL {url!r}: use memory://, redis:// or rediss://")


__all__ = [
    "Bus",
    "BusUnavailable",
    "MemoryBus",
    "RedisBus",
    "SubscriberGap",
    "SubscriberOverflow",
    "Subscription",
    "create_bus",
]
