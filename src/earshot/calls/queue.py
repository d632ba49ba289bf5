"""Who waits, who is free, and which waiting customer goes to which agent next."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from earshot.calls.protocol import AgentStatus


@dataclass
class AgentSeat:
    """An agent as the matcher sees them: status, since when idle, what they are busy with."""

    user_id: int
    name: str
    status: AgentStatus = AgentStatus.unavailable
    call_id: str | None = None
    connected: bool = True
    idle_since: float = field(default_factory=time.monotonic)
    declined: set[str] = field(default_factory=set)

    def can_take(self, call_id: str) -> bool:
        return self.connected and self.status == AgentStatus.available and call_id not in self.declined


@dataclass
class WaitingCall:
    call_id: str
    customer_name: str
    channel: str
    queued_at: datetime
    offered_to: int | None = None


class CallQueue:
    """Waiting calls in arrival order; an offered call keeps its place until accepted."""

    def __init__(self) -> None:
        self._calls: dict[str, WaitingCall] = {}

    def add(self, call: WaitingCall) -> None:
        self._calls[call.call_id] = call

    def remove(self, call_id: str) -> WaitingCall | None:
        return self._calls.pop(call_id, None)

    def get(self, call_id: str) -> WaitingCall | None:
        return self._calls.get(call_id)

    def in_order(self) -> list[WaitingCall]:
        return sorted(self._calls.values(), key=lambda c: c.queued_at)

    def positions(self) -> dict[str, int]:
        """1-based place in line of every waiting call."""
        return {c.call_id: i for i, c in enumerate(self.in_order(), start=1)}

    def __len__(self) -> int:
        return len(self._calls)


def next_match(queue: CallQueue, seats: dict[int, AgentSeat]) -> tuple[WaitingCall, AgentSeat] | None:
    """The longest-waiting unoffered call that someone can take, with the longest-idle agent who can."""
    for call in queue.in_order():
        if call.offered_to is not None:
            continue
        candidates = [seat for seat in seats.values() if seat.can_take(call.call_id)]
        if candidates:
            return call, min(candidates, key=lambda seat: seat.idle_since)
    return None
