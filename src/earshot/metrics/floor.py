"""The live floor for supervisors: the queue, every agent and today's KPIs, read from the database.

`floor_snapshot` reads it (whichever instance changed what); `FloorPublisher` pushes a fresh
snapshot to this instance's supervisor sockets after every relevant change on any instance.
Changes arrive over the bus, so several instances stay in step with no state of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import Role, User
from earshot.bus import Bus
from earshot.calls.hub import SUPERVISORS_CHANNEL  # the hub's live calls, sent after each of its state changes
from earshot.calls.matching import expected_wait
from earshot.calls.models import AgentSeat, Call, CallStatus
from earshot.calls.protocol import (
    AgentStatus,
    Floor,
    FloorAgent,
    FloorAgentState,
    FloorQueue,
    Kpis,
    LoggedEvent,
)
from earshot.db import Database, utcnow
from earshot.metrics import queries
from earshot.metrics.models import AgentEvent
from earshot.metrics.queries import Filters
from earshot.sessions.models import CallEvent

log = logging.getLogger(__name__)

FLOOR_CHANNEL = "floor:changed"
"""Any instance says here that the floor changed; every instance then reads it afresh for its supervisors."""

# Call events that move something on the floor: a snapshot starts as soon as one commits, without
# waiting for the hub's `live_calls` (which follows after matching, and covers agent-only changes).
FLOOR_EVENTS = frozenset({
    "call_queued", "call_offered", "offer_declined", "call_started", "call_transferred", "call_ended",
    "call_wrapped_up", "sentiment", "suggestion_feedback",
})
WAITING = (CallStatus.queued, CallStatus.offered)
BUSY = (AgentStatus.offered, AgentStatus.in_call, AgentStatus.wrap_up)


def agent_state(seat: AgentSeat | None) -> FloorAgentState:
    """A seat whose socket is gone counts as offline, unless the agent still owes its call or wrap-up."""
    if seat is None:
        return FloorAgentState.offline
    if seat.connection_id is None and seat.status not in (AgentStatus.in_call, AgentStatus.wrap_up):
        return FloorAgentState.offline
    return FloorAgentState(seat.status)


async def _queue(session: AsyncSession, now: datetime) -> tuple[int, datetime | None, int]:
    waiting, oldest = (
        await session.execute(select(func.count(), func.min(Call.queued_at)).where(Call.status.in_(WAITING)))
    ).one()
    abandoned = (
        await session.execute(
            select(func.count()).where(
                Call.status == CallStatus.ended,
                Call.answered_at.is_(None),
                Call.end_reason.in_(("abandoned", "dropped")),
                Call.ended_at >= now - timedelta(hours=1),
            )
        )
    ).scalar_one()
    return int(waiting), oldest, int(abandoned)


async def _last_sentiments(session: AsyncSession, call_ids: list[str]) -> dict[str, tuple[float, str]]:
    """Each call's trend and label at its last scored customer line."""
    if not call_ids:
        return {}
    last = (
        select(CallEvent.call_id, func.max(CallEvent.seq).label("seq"))
        .where(CallEvent.call_id.in_(call_ids), CallEvent.type == "sentiment")
        .group_by(CallEvent.call_id)
        .subquery()
    )
    rows = await session.execute(
        select(CallEvent.call_id, CallEvent.payload).join(
            last, (CallEvent.call_id == last.c.call_id) & (CallEvent.seq == last.c.seq)
        )
    )
    return {call_id: (float(payload["trend"]), str(payload["label"])) for call_id, payload in rows}


async def _agents(session: AsyncSession) -> list[FloorAgent]:
    # When each agent last changed state (for those offline: since when); one index seek per agent.
    last_seen = select(func.max(AgentEvent.at_epoch)).where(AgentEvent.agent_id == User.id).scalar_subquery()
    rows = (
        await session.execute(
            select(User, AgentSeat, Call.customer_name, last_seen)
            .outerjoin(AgentSeat, AgentSeat.user_id == User.id)
            .outerjoin(Call, Call.id == AgentSeat.call_id)
            .where(User.is_active.is_(True), (User.role == Role.agent) | AgentSeat.user_id.is_not(None))
            .order_by(User.display_name, User.id)
        )
    ).all()
    sentiments = await _last_sentiments(session, [seat.call_id for _u, seat, _c, _l in rows if seat and seat.call_id])
    agents = []
    for user, seat, customer_name, seen in rows:
        state = agent_state(seat)
        call_id = seat.call_id if seat is not None and state != FloorAgentState.offline else None
        if state == FloorAgentState.offline:
            since = datetime.fromtimestamp(seen, UTC) if seen is not None else None
        else:
            since = seat.status_since or seat.idle_since
        trend, label = sentiments.get(call_id or "", (None, None))
        agents.append(
            FloorAgent(
                agent_id=user.id,
                agent_name=seat.name if seat is not None else user.display_name,
                state=state,
                state_since=since,
                call_id=call_id,
                customer_name=customer_name if call_id else None,
                sentiment=trend,
                sentiment_label=label,  # type: ignore[arg-type]
            )
        )
    return agents


async def floor_snapshot(session: AsyncSession, service_level_seconds: float, now: datetime | None = None) -> Floor:
    """The floor as the database has it now."""
    now = now or utcnow()
    waiting, oldest, abandoned = await _queue(session, now)
    agents = await _agents(session)
    today = Kpis(**await queries.summary(session, Filters.for_dates(now.date(), now.date()), service_level_seconds))
    available = sum(agent.state == FloorAgentState.available for agent in agents)
    busy = sum(agent.state in BUSY for agent in agents)
    queue = FloorQueue(
        waiting=waiting,
        longest_waiting_since=oldest,
        longest_wait_s=round((now - oldest).total_seconds(), 1) if oldest is not None else None,
        # A caller joining now would be at position waiting + 1: the customer's own estimate, for the floor.
        expected_wait_s=expected_wait(waiting + 1, available, busy, today.average_handle_time_s),
        abandoned_last_hour=abandoned,
    )
    return Floor(at=now, queue=queue, agents=agents, today=today, service_level_seconds=service_level_seconds)


Send = Callable[[Floor], None]


class FloorPublisher:
    """Pushes the floor to this instance's supervisors: a snapshot when one connects, then a fresh one
    after every change anyone announces, coalesced to one per `min_interval` (the first at once).

    The snapshot is also refreshed every `refresh_seconds` while someone watches, so counts that
    age by themselves ("abandoned in the last hour") stay right on a quiet floor.
    """

    def __init__(
        self,
        db: Database,
        bus: Bus,
        service_level_seconds: float,
        min_interval: float = 0.25,
        refresh_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.service_level_seconds = service_level_seconds
        self.min_interval = min_interval
        self.refresh_seconds = refresh_seconds
        self._watchers: dict[int, Send] = {}
        self._dirty = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self.sent = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        subscribed = [asyncio.Event(), asyncio.Event()]
        self._tasks = [
            loop.create_task(self._listen(FLOOR_CHANNEL, subscribed[0])),
            loop.create_task(self._listen(SUPERVISORS_CHANNEL, subscribed[1])),
            loop.create_task(self._run()),
        ]
        await asyncio.gather(*(ready.wait() for ready in subscribed))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._pending]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._pending, return_exceptions=True)

    async def watch(self, key: int, send: Send) -> None:
        """Start sending the floor to one supervisor, beginning with a snapshot now."""
        self._watchers[key] = send
        send(await self.snapshot())

    def unwatch(self, key: int) -> None:
        self._watchers.pop(key, None)

    async def snapshot(self) -> Floor:
        async with self.db.sessions() as session:
            return await floor_snapshot(session, self.service_level_seconds)

    # ------------------------------------------------------------------ what changes the floor

    def on_event(self, event: LoggedEvent) -> None:
        """Hub observer: a call event that moves the floor was just committed (on this instance)."""
        if event.type in FLOOR_EVENTS:
            self.changed()

    def changed(self) -> None:
        """Tell every instance the floor changed (e.g. the metrics read models were just written)."""
        task = asyncio.get_running_loop().create_task(self.bus.publish(FLOOR_CHANNEL, json.dumps({})))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _listen(self, channel: str, subscribed: asyncio.Event) -> None:
        async with self.bus.subscribe(channel) as subscription:
            subscribed.set()
            async for text in subscription:
                if channel == FLOOR_CHANNEL or json.loads(text).get("type") == "live_calls":
                    self._dirty.set()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._dirty.wait(), self.refresh_seconds)
            except TimeoutError:
                pass
            self._dirty.clear()
            if not self._watchers:
                continue
            try:
                floor = await self.snapshot()
            except Exception:  # the next change (or refresh) tries again
                log.exception("reading the floor failed")
                continue
            for send in list(self._watchers.values()):
                send(floor)
            self.sent += 1
            await asyncio.sleep(self.min_interval)  # changes meanwhile make one snapshot, not many
