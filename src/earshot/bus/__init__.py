"""Message fan-out between connections; the backend is chosen by `EARSHOT_BUS_URL`."""

from earshot.bus.base import Bus, SubscriberOverflow, Subscription
from earshot.bus.memory import MemoryBus


def create_bus(url: str) -> Bus:
    if url in ("", "memory://"):
        return MemoryBus()
    raise ValueError(f"unsupported bus URL {url!r}: only memory:// is available")


__all__ = ["Bus", "MemoryBus", "SubscriberOverflow", "Subscription", "create_bus"]
