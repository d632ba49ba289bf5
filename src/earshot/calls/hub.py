"""The call hub: queue, matching, call lifecycle and reconnect grace, for one Earshot instance.

Every state change is written to the call event log first and then published on the bus,
so whatever a client sees can be replayed from the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import User
from earshot.auth.security import call_token_matches, hash_call_token, new_call_token
from earshot.bus import Bus, create_bus
from earshot.calls.connection import Connection
from earshot.calls.models import Call, CallStatus, Disposition
from earshot.calls.protocol import (
    AgentState,
    AgentStatus,
    CallOffer,
    ErrorCode,
    LiveCall,
    LiveCalls,
    LoggedEvent,
    OfferRevoked,
    QueuePosition,
    Speaker,
    Transcript,
)
from earshot.calls.queue import AgentSeat, CallQueue, WaitingCall, next_match
from earshot.config import Settings
from earshot.db import Database, run_to_completion, utcnow
from earshot.sessions.log import append_event, read_events, to_message
from earshot.sessions.models import CallEvent
from earshot.transcription.events import TranscriptUpdate

log = logging.getLogger(__name__)

SUPERVISORS_CHANNEL = "supervisors"


def call_channel(call_id: str) -> str:
    return f"call:{call_id}"


def agent_channel(user_id: int) -> str:
    return f"agent:{user_id}"


class CallError(Exception):
    """A request that cannot be honoured; becomes an `error` message for the sender."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Transaction:
    """A DB session plus the events logged in it, published only once it commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.events: list[CallEvent] = []

    async def call(self, call_id: str) -> Call:
        call = await self.session.get(Call, call_id)
        if call is None:
            raise CallError(ErrorCode.not_found, f"no call {call_id}")
        return call

    async def log(self, call: Call, event_type: str, at: datetime | None = None, **payload: Any) -> None:
        self.events.append(await append_event(self.session, call, event_type, payload, at))


SHUTDOWN_DELIVERY_SECONDS = 0.2


class CallHub:
    def __init__(self, db: Database, settings: Settings, bus: Bus | None = None) -> None:
        self.db = db
        self.settings = settings
        self.bus = bus or create_bus(settings.bus_url)
        self.queue = CallQueue()
        self.seats: dict[int, AgentSeat] = {}
        self.live: dict[str, LiveCall] = {}
        self.agent_connections: dict[int, Connection] = {}
        self.customer_connections: dict[str, Connection] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._dirty: set[int] = set()  # agents whose state changed and who have not been told yet
        # Later pipeline stages (agent assist) see every logged event after it is published.
        self.observers: list[Callable[[LoggedEvent], None]] = []
        # Metrics see each agent's state (or "offline") as it changes: (user_id, state).
        self.agent_state_observers: list[Callable[[int, str], None]] = []
        # Applied to everything said before it is logged or shown (PII redaction).
        self.redact: Callable[[str], str] = lambda text: text
        # Partials, (text, stable_text) -> masked (text, stable_text): numbers still being said held back too.
        self.redact_partial: Callable[[str, str], tuple[str, str]] = lambda text, stable: (text, stable)

    # ------------------------------------------------------------------ lifecycle of the hub

    async def start(self) -> None:
        await self.bus.connect()
        # Calls left open by a crash cannot be resumed: their parties' state died with it.
        async with self._transaction() as tx:
            stale = (await tx.session.execute(select(Call).where(Call.status != CallStatus.ended))).scalars()
            for call in stale:
                await self._finish(tx, call, reason="shutdown", ended_by="system")

    async def end_all_calls(self) -> None:
        """Server going away: end every live call (its parties are told why), then close their sockets with 1001."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        async with self._lock, self._transaction() as tx:
            for call_id in list(self.live):
                await self._end(tx, await tx.call(call_id), reason="shutdown", ended_by="system")
        connections = [*self.agent_connections.values(), *self.customer_connections.values()]
        if connections:
            # call_ended reaches each party through the bus and its follower task: give them a moment
            # to put it in the outbox, which closing then flushes.
            await asyncio.sleep(SHUTDOWN_DELIVERY_SECONDS)
        await asyncio.gather(*(connection.close(1001, "server shutting down") for connection in connections))

    async def stop(self) -> None:
        await self.end_all_calls()
        for task in list(self._tasks):
            task.cancel()
        await self.bus.disconnect()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[_Transaction]:
        """One unit of work: commit at the end, roll back on any exception, publish only what committed.

        Callers that may be cancelled (assist tasks) must not run one directly: see `log_event`.
        """
        async with self.db.sessions() as session:
            tx = _Transaction(session)
            try:
                yield tx
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        for event in tx.events:
            message = to_message(event)
            await self.bus.publish(call_channel(event.call_id), message.model_dump_json())
            for observer in self.observers:
                try:
                    observer(message)
                except Exception:  # a failing observer must not break the call
                    log.exception("call event observer failed")

    async def log_event(self, call_id: str, event_type: str, **payload: Any) -> None:
        """Append an event to a call's log and publish it (for later pipeline stages).

        Later stages cancel their work freely (a newer utterance, the call ending), so the
        append runs to completion whatever happens to its caller: a transaction cut short
        mid-statement can hold SQLite's write lock for minutes.
        """
        await run_to_completion(self._log_event(call_id, event_type, payload))

    async def _log_event(self, call_id: str, event_type: str, payload: dict[str, Any]) -> None:
        async with self._transaction() as tx:
            await tx.log(await tx.call(call_id), event_type, **payload)

    # ------------------------------------------------------------------ customers

    async def create_call(
        self, name: str, email: str | None, phone: str | None, channel: str = "web"
    ) -> tuple[Call, str]:
        """Queue a new call; returns it with the customer's secret token (shown once)."""
        token = new_call_token()
        async with self._lock, self._transaction() as tx:
            call = Call(
                id=uuid.uuid4().hex,
                status=CallStatus.queued,
                channel=channel,
                customer_name=name,
                customer_email=email,
                customer_phone=phone,
                customer_token_hash=hash_call_token(token),
                queued_at=utcnow(),
                last_seq=0,
            )
            tx.session.add(call)
            await tx.session.flush()
            await tx.log(call, "call_queued", at=call.queued_at, customer_name=name, channel=channel)
            self.queue.add(WaitingCall(call.id, name, channel, call.queued_at))
            self.live[call.id] = LiveCall(
                call_id=call.id,
                status=CallStatus.queued,
                channel=channel,
                customer_name=name,
                agent_name=None,
                queued_at=call.queued_at,
                answered_at=None,
            )
        # A call abandoned before its customer ever connects still has to end.
        self._start_timer(f"customer:{call.id}", self.settings.reconnect_grace_seconds, self._customer_gone, call.id)
        await self._after_change()
        log.info("call %s queued for %s", call.id, name)
        return call, token

    async def authorize_customer(self, call_id: str, token: str) -> Call | None:
        """The call, when `token` is its customer's and the call is not over.

        An ended call stays open to its customer for the reconnect grace (to see how it ended)
        unless the agent has wrapped it up already; after that the token opens nothing.
        """
        async with self.db.sessions() as session:
            call = await session.get(Call, call_id)
        if call is None or not token or not call_token_matches(token, call.customer_token_hash):
            return None
        if call.status == CallStatus.ended:
            grace_over = call.ended_at is None or utcnow() >= call.ended_at + timedelta(
                seconds=self.settings.reconnect_grace_seconds
            )
            if call.wrapped_up_at is not None or grace_over:
                return None
        return call

    async def customer_joined(self, call_id: str, connection: Connection) -> None:
        async with self._lock:
            previous = self.customer_connections.get(call_id)
            self.customer_connections[call_id] = connection
            self._cancel_timer(f"customer:{call_id}")
            if previous is not None and previous is not connection:
                await previous.close(4409, "replaced by a newer connection")
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.status == CallStatus.active and await self._was_disconnected(tx, call_id, Speaker.customer):
                    await tx.log(call, "party_reconnected", speaker=Speaker.customer)
        self._publish_positions()

    async def customer_left(self, call_id: str, connection: Connection) -> None:
        async with self._lock:
            if self.customer_connections.get(call_id) is not connection:
                return
            del self.customer_connections[call_id]
            if call_id not in self.live:
                return
            grace = self.settings.reconnect_grace_seconds
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                await tx.log(call, "party_disconnected", speaker=Speaker.customer, grace_seconds=grace)
        self._start_timer(f"customer:{call_id}", grace, self._customer_gone, call_id)

    async def _customer_gone(self, call_id: str) -> None:
        async with self._lock:
            if call_id in self.customer_connections or call_id not in self.live:
                return
            async with self._transaction() as tx:
                await self._end(tx, await tx.call(call_id), reason="dropped", ended_by="system")
        await self._after_change()

    # ------------------------------------------------------------------ agents

    async def agent_joined(self, user: User, connection: Connection) -> AgentSeat:
        async with self._lock:
            previous = self.agent_connections.get(user.id)
            self.agent_connections[user.id] = connection
            self._cancel_timer(f"agent:{user.id}")
            if previous is not None and previous is not connection:
                await previous.close(4409, "the console was opened in another window")
            seat = self.seats.get(user.id)
            if seat is None:
                seat = self.seats[user.id] = await self._restore_seat(user)
            seat.connected = True
            if seat.status == AgentStatus.in_call and seat.call_id:
                async with self._transaction() as tx:
                    call = await tx.call(seat.call_id)
                    if await self._was_disconnected(tx, call.id, Speaker.agent):
                        await tx.log(call, "party_reconnected", speaker=Speaker.agent)
        self._dirty.add(seat.user_id)
        await self._after_change()
        return seat

    async def _restore_seat(self, user: User) -> AgentSeat:
        """A returning agent finds their call (or pending wrap-up) as the log left it."""
        seat = AgentSeat(user_id=user.id, name=user.display_name)
        async with self.db.sessions() as session:
            result = await session.execute(
                select(Call)
                .where(Call.agent_id == user.id, Call.wrapped_up_at.is_(None), Call.status != CallStatus.queued)
                .order_by(Call.queued_at.desc())
                .limit(1)
            )
            call = result.scalar_one_or_none()
        if call is not None and call.status == CallStatus.active:
            seat.status, seat.call_id = AgentStatus.in_call, call.id
        elif call is not None and call.status == CallStatus.ended:
            seat.status, seat.call_id = AgentStatus.wrap_up, call.id
        return seat

    async def agent_left(self, user: User, connection: Connection) -> None:
        async with self._lock:
            if self.agent_connections.get(user.id) is not connection:
                return
            del self.agent_connections[user.id]
            seat = self.seats.get(user.id)
            if seat is None:
                return
            seat.connected = False
            self._observe_agent(user.id, "offline")
            grace = self.settings.reconnect_grace_seconds
            if seat.status == AgentStatus.offered and seat.call_id:
                await self._revoke_offer(seat, "disconnected", AgentStatus.unavailable)
            elif seat.status == AgentStatus.in_call and seat.call_id:
                async with self._transaction() as tx:
                    call = await tx.call(seat.call_id)
                    await tx.log(call, "party_disconnected", speaker=Speaker.agent, grace_seconds=grace)
        self._start_timer(f"agent:{user.id}", grace, self._agent_gone, user.id)
        await self._after_change()

    async def _agent_gone(self, user_id: int) -> None:
        async with self._lock:
            seat = self.seats.get(user_id)
            if seat is None or seat.connected:
                return
            if seat.status == AgentStatus.in_call and seat.call_id:
                async with self._transaction() as tx:
                    await self._end(tx, await tx.call(seat.call_id), reason="dropped", ended_by="system")
            if seat.status != AgentStatus.wrap_up:
                del self.seats[user_id]
        await self._after_change()

    async def set_availability(self, user: User, available: bool) -> None:
        async with self._lock:
            seat = self._seat(user)
            if seat.status in (AgentStatus.in_call, AgentStatus.wrap_up):
                raise CallError(ErrorCode.conflict, f"cannot change availability while {seat.status.value}")
            if seat.status == AgentStatus.offered:
                await self._revoke_offer(seat, "declined", AgentStatus.unavailable)
            if available and seat.status != AgentStatus.available:
                seat.idle_since = time.monotonic()
            seat.status = AgentStatus.available if available else AgentStatus.unavailable
            seat.declined.clear()
        self._dirty.add(seat.user_id)
        await self._after_change()

    async def accept_offer(self, user: User, call_id: str) -> None:
        async with self._lock:
            seat = self._seat(user)
            if seat.status != AgentStatus.offered or seat.call_id != call_id:
                raise CallError(ErrorCode.conflict, "that call is not offered to you (any more)")
            self._cancel_timer(f"offer:{call_id}")
            self.queue.remove(call_id)
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                call.status, call.agent_id, call.answered_at = CallStatus.active, user.id, utcnow()
                await tx.log(call, "call_started", agent_id=user.id, agent_name=seat.name)
                answered_at = call.answered_at
            seat.status = AgentStatus.in_call
            self.live[call_id] = self.live[call_id].model_copy(
                update={"status": CallStatus.active, "agent_name": seat.name, "answered_at": answered_at}
            )
        self._dirty.add(seat.user_id)
        await self._after_change()
        log.info("call %s answered by %s", call_id, user.username)

    async def decline_offer(self, user: User, call_id: str) -> None:
        async with self._lock:
            seat = self._seat(user)
            if seat.status != AgentStatus.offered or seat.call_id != call_id:
                raise CallError(ErrorCode.conflict, "that call is not offered to you (any more)")
            await self._revoke_offer(seat, "declined", AgentStatus.available)
        self._dirty.add(seat.user_id)
        await self._after_change()

    async def _offer_expired(self, call_id: str) -> None:
        async with self._lock:
            waiting = self.queue.get(call_id)
            seat = self.seats.get(waiting.offered_to) if waiting and waiting.offered_to else None
            if seat is None or seat.call_id != call_id:
                return
            # A missed offer means the agent is away; ringing them again would stall the queue.
            await self._revoke_offer(seat, "expired", AgentStatus.unavailable)
        self._dirty.add(seat.user_id)
        await self._after_change()

    async def _revoke_offer(self, seat: AgentSeat, reason: str, then: AgentStatus) -> None:
        call_id = seat.call_id
        assert call_id is not None
        self._cancel_timer(f"offer:{call_id}")
        waiting = self.queue.get(call_id)
        if waiting is not None:
            waiting.offered_to = None
        seat.declined.add(call_id)
        seat.status, seat.call_id = then, None
        if then == AgentStatus.available:
            seat.idle_since = time.monotonic()
        async with self._transaction() as tx:
            call = await tx.call(call_id)
            if call.status == CallStatus.offered:
                call.status = CallStatus.queued
            await tx.log(call, "offer_declined", agent_id=seat.user_id, reason=reason)
        if call_id in self.live:
            self.live[call_id] = self.live[call_id].model_copy(update={"status": CallStatus.queued})
        await self._publish(agent_channel(seat.user_id), OfferRevoked(call_id=call_id, reason=reason))  # type: ignore[arg-type]

    async def wrap_up(self, user: User, call_id: str, disposition: Disposition, notes: str) -> None:
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.agent_id != user.id:
                    raise CallError(ErrorCode.not_found, "not your call")
                if call.status != CallStatus.ended:
                    raise CallError(ErrorCode.conflict, "end the call before wrapping it up")
                if call.wrapped_up_at is not None:
                    raise CallError(ErrorCode.conflict, "this call is already wrapped up")
                call.disposition, call.notes, call.wrapped_up_at = disposition, notes, utcnow()
                await tx.log(call, "call_wrapped_up", disposition=disposition, notes=notes)
            seat = self.seats.get(user.id)
            if seat is not None and seat.call_id == call_id:
                seat.status, seat.call_id, seat.idle_since = AgentStatus.available, None, time.monotonic()
                seat.declined.clear()
        if seat is not None:
            self._dirty.add(seat.user_id)
        await self._after_change()

    # ------------------------------------------------------------------ in a call

    async def send_chat(
        self, call_id: str, speaker: Speaker, author: str, text: str, client_id: str | None = None
    ) -> None:
        """Log a chat line; `client_id` (the sender's own id for it) is echoed so the sender sees it landed."""
        async with self._transaction() as tx:
            call = await tx.call(call_id)
            if call.status != CallStatus.active:
                raise CallError(ErrorCode.conflict, "chat is possible only while the call is in progress")
            extra = {"client_id": client_id} if client_id else {}
            await tx.log(call, "chat", speaker=speaker, author=author, text=self.redact(text), **extra)

    async def end_call(self, call_id: str, ended_by: Speaker) -> None:
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.status == CallStatus.ended:
                    raise CallError(ErrorCode.conflict, "the call has already ended")
                await self._end(tx, call, reason="hangup", ended_by=ended_by.value)
        await self._after_change()

    async def _end(self, tx: _Transaction, call: Call, reason: str, ended_by: str) -> None:
        """End a live call; its agent (if any) moves on to wrap-up. Caller holds the lock."""
        if call.status == CallStatus.ended:
            return
        was_active = call.status == CallStatus.active
        if call.status in (CallStatus.queued, CallStatus.offered) and reason == "hangup":
            reason = "abandoned"
        waiting = self.queue.remove(call.id)
        if waiting is not None and waiting.offered_to is not None:
            seat = self.seats.get(waiting.offered_to)
            if seat is not None and seat.call_id == call.id:
                self._cancel_timer(f"offer:{call.id}")
                seat.status, seat.call_id = AgentStatus.available, None
                await self._publish(agent_channel(seat.user_id), OfferRevoked(call_id=call.id, reason="customer_left"))
                self._dirty.add(seat.user_id)
        await self._finish(tx, call, reason, ended_by)
        self.live.pop(call.id, None)
        self._cancel_timer(f"customer:{call.id}")
        if was_active and call.agent_id is not None:
            seat = self.seats.get(call.agent_id)
            if seat is not None:
                seat.status, seat.call_id = AgentStatus.wrap_up, call.id
                self._dirty.add(seat.user_id)

    async def _finish(self, tx: _Transaction, call: Call, reason: str, ended_by: str) -> None:
        call.status, call.ended_at, call.end_reason, call.ended_by = CallStatus.ended, utcnow(), reason, ended_by
        await tx.log(call, "call_ended", reason=reason, ended_by=ended_by)

    async def publish_transcript(self, call_id: str, speaker: Speaker, update: TranscriptUpdate) -> None:
        """Partials go straight to listeners; finals are logged first, like every event."""
        if update.final:
            update = replace(update, text=self.redact(update.text), stable_text=self.redact(update.stable_text))
        else:
            text, stable_text = self.redact_partial(update.text, update.stable_text)
            update = replace(update, text=text, stable_text=stable_text)
        if not update.final:
            now = utcnow()
            queued_at = self.live[call_id].queued_at if call_id in self.live else now
            partial = Transcript(
                call_id=call_id,
                seq=None,
                at=now,
                offset_ms=max(0, int((now - queued_at).total_seconds() * 1000)),
                speaker=speaker,
                **asdict(update),
            )
            await self._publish(call_channel(call_id), partial)
            return
        async with self._transaction() as tx:
            call = await tx.call(call_id)
            await tx.log(call, "transcript", speaker=speaker, **asdict(update))

    # ------------------------------------------------------------------ reading

    def is_active(self, call_id: str) -> bool:
        live = self.live.get(call_id)
        return live is not None and live.status == CallStatus.active

    def call_offset_ms(self, call_id: str) -> int:
        live = self.live.get(call_id)
        if live is None:
            return 0
        return max(0, int((utcnow() - live.queued_at).total_seconds() * 1000))

    async def events(self, call_id: str, after_seq: int = 0) -> list[LoggedEvent]:
        async with self.db.sessions() as session:
            return [to_message(event) for event in await read_events(session, call_id, after_seq)]

    async def call_exists(self, call_id: str) -> bool:
        async with self.db.sessions() as session:
            return await session.get(Call, call_id) is not None

    def live_calls(self) -> LiveCalls:
        return LiveCalls(calls=sorted(self.live.values(), key=lambda c: c.queued_at))

    def agent_state(self, user_id: int) -> AgentState:
        seat = self.seats.get(user_id)
        if seat is None:
            return AgentState(status=AgentStatus.unavailable)
        return AgentState(status=seat.status, call_id=seat.call_id)

    def current_call_of_agent(self, user_id: int) -> str | None:
        seat = self.seats.get(user_id)
        if seat and seat.status in (AgentStatus.in_call, AgentStatus.wrap_up):
            return seat.call_id
        return None

    # ------------------------------------------------------------------ matching and fan-out

    async def _after_change(self) -> None:
        """Tell agents their new state, hand out offers, and refresh queue and supervisor views."""
        async with self._lock:
            await self._flush_agent_states()
            while (match := next_match(self.queue, self.seats)) is not None:
                await self._offer(*match)
            await self._flush_agent_states()
        self._publish_positions()
        await self._publish(SUPERVISORS_CHANNEL, self.live_calls())

    async def _offer(self, waiting: WaitingCall, seat: AgentSeat) -> None:
        timeout = self.settings.offer_timeout_seconds
        waiting.offered_to = seat.user_id
        seat.status, seat.call_id = AgentStatus.offered, waiting.call_id
        async with self._transaction() as tx:
            call = await tx.call(waiting.call_id)
            call.status = CallStatus.offered
            await tx.log(call, "call_offered", agent_id=seat.user_id, agent_name=seat.name)
        self.live[waiting.call_id] = self.live[waiting.call_id].model_copy(update={"status": CallStatus.offered})
        now = utcnow()
        offer = CallOffer(
            call_id=waiting.call_id,
            customer_name=waiting.customer_name,
            channel=waiting.channel,
            waited_seconds=round((now - waiting.queued_at).total_seconds(), 1),
            expires_at=now + timedelta(seconds=timeout),
            timeout_seconds=timeout,
        )
        await self._publish(agent_channel(seat.user_id), offer)
        self._dirty.add(seat.user_id)
        self._start_timer(f"offer:{waiting.call_id}", timeout, self._offer_expired, waiting.call_id)

    async def _flush_agent_states(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for user_id in sorted(dirty):
            await self._publish(agent_channel(user_id), self.agent_state(user_id))
            self._observe_agent(user_id, str(self.agent_state(user_id).status))

    def _observe_agent(self, user_id: int, state: str) -> None:
        for observer in self.agent_state_observers:
            try:
                observer(user_id, state)
            except Exception:  # metrics must not break the call flow
                log.exception("agent state observer failed")

    def _publish_positions(self) -> None:
        length = len(self.queue)
        for call_id, position in self.queue.positions().items():
            message = QueuePosition(call_id=call_id, position=position, queue_length=length)
            self._spawn(self._publish(call_channel(call_id), message))

    async def _publish(self, channel: str, message: Any) -> None:
        await self.bus.publish(channel, message.model_dump_json())

    async def _was_disconnected(self, tx: _Transaction, call_id: str, speaker: Speaker) -> bool:
        result = await tx.session.execute(
            select(CallEvent.type)
            .where(
                CallEvent.call_id == call_id,
                CallEvent.type.in_(("party_disconnected", "party_reconnected")),
                CallEvent.payload["speaker"].as_string() == speaker.value,
            )
            .order_by(CallEvent.seq.desc())
            .limit(1)
        )
        return result.scalar_one_or_none() == "party_disconnected"

    def _seat(self, user: User) -> AgentSeat:
        seat = self.seats.get(user.id)
        if seat is None:
            raise CallError(ErrorCode.conflict, "connect to the agent console first")
        return seat

    # ------------------------------------------------------------------ timers

    def _start_timer(self, key: str, delay: float, action: Callable[[Any], Coroutine[Any, Any, None]], arg: Any) -> None:
        self._cancel_timer(key)
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.pop(key, None)
            self._spawn(action(arg))

        self._timers[key] = loop.call_later(delay, fire)

    def _cancel_timer(self, key: str) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call hub task failed", exc_info=task.exception())
