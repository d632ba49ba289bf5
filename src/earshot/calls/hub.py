"""The call hub: call lifecycle over state shared by every instance.

Queue, offers, seats and deadlines live in the database (see `matching`, `deadlines`,
`presence`); every state change is written and its events logged in one transaction, and
only then published on the bus (see `recorder`), so a client sees the same thing whichever
instance holds its socket, and any instance may die without taking a call's state with it.
This process keeps only its own sockets and a read cache of the calls and seats it serves,
refreshed from the bus when another instance changes them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased

from earshot.auth.models import User
from earshot.auth.security import call_token_matches, hash_call_token, new_call_token
from earshot.bus import Bus, BusUnavailable, SubscriberOverflow, create_bus
from earshot.calls.coalesce import Coalesced
from earshot.calls.connection import Connection
from earshot.calls.deadlines import Sweeper, due_agent_graces, due_customer_graces, due_offers
from earshot.calls.hold import held_since, log_resumed
from earshot.calls.locks import KeyedLocks, state_change_lock
from earshot.calls.matching import (
    average_handle_seconds,
    expected_wait,
    next_match,
    queue_length,
    queue_positions,
    staffing,
)
from earshot.calls.models import AgentSeat, Call, CallStatus, Disposition, SeatDecline
from earshot.calls.presence import Presence
from earshot.calls.protocol import (
    AgentState,
    AgentStatus,
    AwayReason,
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
from earshot.calls.recorder import CallError, Recorder, Transaction, agent_channel, call_channel, publish_or_warn
from earshot.calls.transfer import transfer_target
from earshot.config import Settings
from earshot.db import Database, run_to_completion, utcnow
from earshot.sessions.log import read_events, to_message
from earshot.sessions.models import CallEvent
from earshot.startup import when_reachable
from earshot.transcription.events import TranscriptUpdate

__all__ = ["SUPERVISORS_CHANNEL", "CallError", "CallHub", "agent_channel", "call_channel"]

log = logging.getLogger(__name__)

SUPERVISORS_CHANNEL = "supervisors"
STATE_CHANNEL = "hub:state"
"""Instances tell each other which calls and seats they changed (to refresh caches) and which sockets to close."""

SHUTDOWN_DELIVERY_SECONDS = 0.2
SEAT_LOCK_TRIES = 3  # a seat's call changing between two reads is rare; twice in a row, rarer still
STATE_RESUBSCRIBE_SECONDS = 0.2  # between tries while the bus is away (each try waits for Redis too)


class _SeatMoved(Exception):
    """A seat's call changed between reading the seat and locking it: the transaction runs again."""


def seat_state(seat: AgentSeat) -> AgentState:
    """What the agent is told about their seat; the away reason only while they are away."""
    away = seat.status == AgentStatus.unavailable and seat.away_reason is not None
    return AgentState(
        status=AgentStatus(seat.status), call_id=seat.call_id, reason=AwayReason(seat.away_reason) if away else None
    )


class CallHub:
    def __init__(self, db: Database, settings: Settings, bus: Bus | None = None) -> None:
        self.db = db
        self.settings = settings
        self.bus = bus or create_bus(settings.bus_url)
        self.presence = Presence(db, settings.instance_heartbeat_seconds, settings.instance_expiry_seconds)
        # This instance's own sockets: (connection, its id as stored in the database).
        self.agent_connections: dict[int, tuple[Connection, str]] = {}
        self.customer_connections: dict[str, tuple[Connection, str]] = {}
        # Read cache for the synchronous accessors; the database decides.
        self._seats: dict[int, AgentState] = {}
        self._calls: dict[str, tuple[CallStatus, datetime]] = {}  # call_id -> (status, queued_at)
        self.queue_length = 0
        self._lock = state_change_lock(db.is_sqlite)
        self._party_locks = KeyedLocks()  # a party's sockets here, joining and leaving one at a time
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._sweeper = Sweeper(self.sweep, settings.deadline_sweep_seconds)
        # Later pipeline stages (agent assist) see every logged event after it is published.
        self.observers: list[Callable[[LoggedEvent], None]] = []
        # Metrics see each agent's state (or "offline") as it changes: (user_id, state).
        self.agent_state_observers: list[Callable[[int, str], None]] = []
        # Applied to everything said before it is logged or shown (PII redaction).
        self.redact: Callable[[str], str] = lambda text: text
        # Partials, (text, stable_text) -> masked (text, stable_text): numbers still being said held back too.
        self.redact_partial: Callable[[str, str], tuple[str, str]] = lambda text, stable: (text, stable)
        self._recorder = Recorder(db, self.bus, self.observers, self._committed, self._remember_changes)
        # Views of the whole queue and floor, rebuilt after changes: once for a burst of them.
        self._positions = Coalesced(self._publish_positions, "queue positions")
        self._live_calls = Coalesced(self._publish_live_calls, "live calls for supervisors")

    @property
    def instance_id(self) -> str:
        return self.presence.instance_id

    # ------------------------------------------------------------------ lifecycle of the hub

    async def start(self) -> None:
        """Join the instances serving calls; calls other instances hold are left alone.

        Parties held by an instance that is gone (a crash, this one's previous run) count as
        disconnected once its heartbeat expires, and their calls end after the reconnect grace.
        """
        where = getattr(self.bus, "where", "")
        await when_reachable(
            f"the bus (Redis at {where})" if where else "the bus",
            self.bus.connect,
            self.settings.startup_wait_seconds,
            lambda error: isinstance(error, BusUnavailable),
        )
        await self.presence.start()
        subscribed = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(self._listen(subscribed))
        await subscribed.wait()
        async with self._lock, self._transaction() as tx:
            # A call from before shared state (no holder, no deadline) gets the grace a new one gets.
            await tx.session.execute(
                update(Call)
                .where(
                    Call.status != CallStatus.ended,
                    Call.customer_connection_id.is_(None),
                    Call.customer_grace_until.is_(None),
                )
                .values(customer_grace_until=utcnow() + self._grace)
            )
        self._sweeper.start()

    @property
    def _grace(self) -> timedelta:
        return timedelta(seconds=self.settings.reconnect_grace_seconds)

    async def end_all_calls(self) -> None:
        """Server going away: close its sockets with 1001.

        The last instance standing ends every live call first (its parties are told why); while
        others run, calls go on: the parties reconnect to another instance within their grace.
        """
        await self._sweeper.stop()
        if not await self.presence.others_alive():
            async with self._lock, self._transaction() as tx:
                live = select(Call).where(Call.status != CallStatus.ended).with_for_update()
                for call in (await tx.session.execute(live)).scalars().all():
                    await self._end(tx, call, reason="shutdown", ended_by="system")
        connections = [c for c, _ in [*self.agent_connections.values(), *self.customer_connections.values()]]
        if connections:
            # call_ended reaches each party through the bus and its follower task: give them a moment
            # to put it in the outbox, which closing then flushes.
            await asyncio.sleep(SHUTDOWN_DELIVERY_SECONDS)
        await asyncio.gather(*(connection.close(1001, "server shutting down") for connection in connections))

    async def stop(self) -> None:
        await self.end_all_calls()
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await self._positions.stop()
        await self._live_calls.stop()
        await self.presence.stop()
        await self.bus.disconnect()

    def _transaction(self) -> Any:
        return self._recorder.transaction()

    async def log_event(self, call_id: str, event_type: str, **payload: Any) -> None:
        """Append an event to a call's log and publish it (for later pipeline stages).

        Later stages cancel their work freely (a newer utterance, the call ending), so the
        append runs to completion whatever happens to its caller: a transaction cut short
        mid-statement can hold SQLite's write lock for minutes.
        """
        await run_to_completion(self._log_event(call_id, event_type, payload))

    async def _log_event(self, call_id: str, event_type: str, payload: dict[str, Any]) -> None:
        async with self._transaction() as tx:
            if not await tx.log_to(call_id, event_type, **payload):
                raise CallError(ErrorCode.not_found, f"no call {call_id}")

    # ------------------------------------------------------------------ customers

    async def create_call(
        self, name: str, email: str | None, phone: str | None, channel: str = "web"
    ) -> tuple[Call, str]:
        """Queue a new call; returns it with the customer's secret token (shown once)."""
        token = new_call_token()
        async with self._lock, self._transaction() as tx:
            now = utcnow()
            call = Call(
                id=uuid.uuid4().hex,
                status=CallStatus.queued,
                channel=channel,
                customer_name=name,
                customer_email=email,
                customer_phone=phone,
                customer_token_hash=hash_call_token(token),
                queued_at=now,
                last_seq=0,
                # A call abandoned before its customer ever connects still has to end.
                customer_grace_until=now + self._grace,
            )
            tx.session.add(call)
            await tx.session.flush()
            await tx.log(call, "call_queued", at=call.queued_at, customer_name=name, channel=channel)
            tx.call_changed(call)
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
            grace_over = call.ended_at is None or utcnow() >= call.ended_at + self._grace
            if call.wrapped_up_at is not None or grace_over:
                return None
        return call

    async def customer_joined(self, call_id: str, connection: Connection) -> None:
        connection_id = uuid.uuid4().hex
        kick: str | None = None
        async with self._party_locks.hold(f"customer:{call_id}"), self._lock:
            previous = self.customer_connections.get(call_id)
            self.customer_connections[call_id] = (connection, connection_id)
            if previous is not None and previous[0] is not connection:
                await previous[0].close(4409, "replaced by a newer connection")
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.customer_connection_id is not None and call.customer_instance_id != self.instance_id:
                    kick = call.customer_connection_id
                call.customer_instance_id, call.customer_connection_id = self.instance_id, connection_id
                call.customer_grace_until = None
                tx.call_changed(call)
                if call.status == CallStatus.active and await self._was_disconnected(tx, call_id, Speaker.customer):
                    await tx.log(call, "party_reconnected", speaker=Speaker.customer)
        if kick is not None:  # only now: closing it before our commit would count the customer as gone
            await self._kick_elsewhere("customer", call_id, kick)
        self._positions.request()

    async def customer_left(self, call_id: str, connection: Connection) -> None:
        async with self._party_locks.hold(f"customer:{call_id}"), self._lock:
            held = self.customer_connections.get(call_id)
            if held is None or held[0] is not connection:
                return
            del self.customer_connections[call_id]
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.customer_connection_id != held[1]:
                    return  # a newer socket (maybe on another instance) holds the customer now
                await self._customer_away(tx, call)

    async def _customer_away(self, tx: Transaction, call: Call) -> None:
        """The customer's socket is gone: the call waits for them for the reconnect grace."""
        call.customer_instance_id = call.customer_connection_id = None
        if call.status == CallStatus.ended:
            return
        call.customer_grace_until = utcnow() + self._grace
        grace = self.settings.reconnect_grace_seconds
        await tx.log(call, "party_disconnected", speaker=Speaker.customer, grace_seconds=grace)

    # ------------------------------------------------------------------ agents

    async def agent_joined(self, user: User, connection: Connection) -> AgentState:
        connection_id = uuid.uuid4().hex
        kick: str | None = None
        async with self._party_locks.hold(f"agent:{user.id}"), self._lock:
            previous = self.agent_connections.get(user.id)
            self.agent_connections[user.id] = (connection, connection_id)
            if previous is not None and previous[0] is not connection:
                await previous[0].close(4409, "the console was opened in another window")

            async def join(tx: Transaction, seat: AgentSeat | None) -> None:
                nonlocal kick
                kick = None  # (again, if the transaction runs again)
                if seat is None:
                    seat = await self._restore_seat(tx, user)
                elif seat.connection_id is not None and seat.instance_id != self.instance_id:
                    kick = seat.connection_id
                seat.instance_id, seat.connection_id, seat.grace_until = self.instance_id, connection_id, None
                if seat.status == AgentStatus.in_call and seat.call_id:
                    call = await tx.call(seat.call_id)
                    if await self._was_disconnected(tx, call.id, Speaker.agent):
                        await tx.log(call, "party_reconnected", speaker=Speaker.agent)
                tx.seat_changed(seat)

            await self._with_seat(user.id, join)
        if kick is not None:  # only now: closing it before our commit would count the agent as gone
            await self._kick_elsewhere("agent", str(user.id), kick)
        await self._after_change()
        return self.agent_state(user.id)

    async def _restore_seat(self, tx: Transaction, user: User) -> AgentSeat:
        """A returning agent finds their call (or pending wrap-up) as the log left it."""
        seat = AgentSeat(user_id=user.id, name=user.display_name, status=AgentStatus.unavailable, idle_since=utcnow())
        result = await tx.session.execute(
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
        tx.session.add(seat)
        await tx.session.flush()
        return seat

    async def agent_left(self, user: User, connection: Connection) -> None:
        async with self._party_locks.hold(f"agent:{user.id}"), self._lock:
            held = self.agent_connections.get(user.id)
            if held is None or held[0] is not connection:
                return
            del self.agent_connections[user.id]

            async def leave(tx: Transaction, seat: AgentSeat | None) -> None:
                if seat is not None and seat.connection_id == held[1]:
                    await self._agent_away(tx, seat)

            await self._with_seat(user.id, leave)
        await self._after_change()

    async def _agent_away(self, tx: Transaction, seat: AgentSeat) -> None:
        """The agent's socket is gone: an offer moves on, a call waits for them for the reconnect grace."""
        seat.instance_id = seat.connection_id = None
        seat.grace_until = utcnow() + self._grace
        self._observe_agent(seat.user_id, "offline")
        if seat.status == AgentStatus.offered and seat.call_id:
            await self._revoke_offer(tx, seat, await tx.call(seat.call_id), "disconnected", AgentStatus.unavailable)
        elif seat.status == AgentStatus.in_call and seat.call_id:
            call = await tx.call(seat.call_id)
            grace = self.settings.reconnect_grace_seconds
            await tx.log(call, "party_disconnected", speaker=Speaker.agent, grace_seconds=grace)
        tx.seat_changed(seat, notify=False)

    async def _agent_gone(self, tx: Transaction, seat: AgentSeat) -> None:
        """The agent did not come back in time: their call ends; a pending wrap-up keeps the seat."""
        seat.grace_until = None
        if seat.status == AgentStatus.in_call and seat.call_id:
            await self._end(tx, await tx.call(seat.call_id), reason="dropped", ended_by="system")
        if seat.status != AgentStatus.wrap_up:
            await tx.session.delete(seat)
            tx.seat_gone(seat.user_id)

    async def set_availability(self, user: User, available: bool, reason: AwayReason | None = None) -> None:
        async def change(tx: Transaction, seat: AgentSeat | None) -> None:
            if seat is None:
                raise CallError(ErrorCode.conflict, "connect to the agent console first")
            if seat.status in (AgentStatus.in_call, AgentStatus.wrap_up):
                raise CallError(ErrorCode.conflict, f"cannot change availability while {seat.status}")
            if seat.status == AgentStatus.offered and seat.call_id:
                await self._revoke_offer(tx, seat, await tx.call(seat.call_id), "declined", AgentStatus.unavailable)
            if available and seat.status != AgentStatus.available:
                seat.idle_since = utcnow()
            seat.status = AgentStatus.available if available else AgentStatus.unavailable
            seat.away_reason = None if available else reason
            await self._clear_declines(tx, seat)
            tx.seat_changed(seat)

        async with self._lock:
            await self._with_seat(user.id, change)
        await self._after_change()

    async def _with_seat(self, user_id: int, work: Callable[[Transaction, AgentSeat | None], Awaitable[None]]) -> None:
        """Run `work` in a transaction on the agent's seat, locked after its call's row (see `_locked_seat`)."""
        for _ in range(SEAT_LOCK_TRIES):
            try:
                async with self._transaction() as tx:
                    await work(tx, await self._locked_seat(tx, user_id))
                return
            except _SeatMoved:
                continue  # rolled back: nothing was written, no lock is kept
        raise CallError(ErrorCode.conflict, "your state changed meanwhile; try again")

    async def _locked_seat(self, tx: Transaction, user_id: int) -> AgentSeat | None:
        """The agent's seat, locked for this transaction together with its call's row (if it has a call).

        Lock order, wherever one transaction locks both: the call's row first, then the seat's
        (as ending, accepting and declining a call do). Locking a seat and then its call while
        another instance ends that call would deadlock on PostgreSQL.
        """
        seen = await tx.seat(user_id, lock=False)
        if seen is None:
            return None
        call_id = seen.call_id
        if call_id is not None:
            await tx.call(call_id)
        seat = await tx.seat(user_id)
        if seat is not None and seat.call_id is not None and seat.call_id != call_id:
            raise _SeatMoved  # another call since it was read: that one's row is not locked
        return seat

    async def accept_offer(self, user: User, call_id: str) -> None:
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                seat = await self._seat(tx, user)
                if seat.status != AgentStatus.offered or seat.call_id != call_id or call.offered_to != user.id:
                    raise CallError(ErrorCode.conflict, "that call is not offered to you (any more)")
                # A transferred call keeps its first answer: speed of answer and handle time are the caller's.
                call.status, call.agent_id = CallStatus.active, user.id
                call.answered_at = call.answered_at or utcnow()
                call.offered_to = call.offer_expires_at = None
                await tx.log(call, "call_started", agent_id=user.id, agent_name=seat.name)
                seat.status = AgentStatus.in_call
                tx.call_changed(call)
                tx.seat_changed(seat)
        # Nobody became free and nobody new waits: no matching, only the views (the queue moved up).
        self._views_changed()
        log.info("call %s answered by %s", call_id, user.username)

    async def decline_offer(self, user: User, call_id: str) -> None:
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                seat = await self._seat(tx, user)
                if seat.status != AgentStatus.offered or seat.call_id != call_id:
                    raise CallError(ErrorCode.conflict, "that call is not offered to you (any more)")
                await self._revoke_offer(tx, seat, call, "declined", AgentStatus.available)
        await self._after_change()

    async def _offer_expired(self, tx: Transaction, call: Call) -> None:
        seat = await tx.session.get(
            AgentSeat, call.offered_to, with_for_update={"skip_locked": True}, populate_existing=True
        ) if call.offered_to is not None else None
        if seat is not None and seat.call_id == call.id and seat.status == AgentStatus.offered:
            # A missed offer means the agent is away; ringing them again would stall the queue.
            await self._revoke_offer(tx, seat, call, "expired", AgentStatus.unavailable)
        elif call.offered_to is None or seat is None or seat.call_id != call.id:
            call.status, call.offered_to, call.offer_expires_at = CallStatus.queued, None, None
            tx.call_changed(call)

    async def _revoke_offer(self, tx: Transaction, seat: AgentSeat, call: Call, reason: str, then: AgentStatus) -> None:
        call.offered_to = call.offer_expires_at = None
        if call.status == CallStatus.offered:
            call.status = CallStatus.queued
        tx.call_changed(call)
        if await tx.session.get(SeatDecline, (seat.user_id, call.id)) is None:
            tx.session.add(SeatDecline(user_id=seat.user_id, call_id=call.id))
        seat.status, seat.call_id = then, None
        if then == AgentStatus.available:
            seat.idle_since = utcnow()
        await tx.log(call, "offer_declined", agent_id=seat.user_id, reason=reason)
        tx.send(agent_channel(seat.user_id), OfferRevoked(call_id=call.id, reason=reason))  # type: ignore[arg-type]
        tx.seat_changed(seat)

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
                seat = await tx.seat(user.id)
                if seat is not None and seat.call_id == call_id:
                    seat.status, seat.call_id, seat.idle_since = AgentStatus.available, None, utcnow()
                    await self._clear_declines(tx, seat)
                    tx.seat_changed(seat)
        await self._after_change()

    async def _clear_declines(self, tx: Transaction, seat: AgentSeat) -> None:
        await tx.session.execute(delete(SeatDecline).where(SeatDecline.user_id == seat.user_id))

    # ------------------------------------------------------------------ in a call

    async def send_chat(
        self, call_id: str, speaker: Speaker, author: str, text: str, client_id: str | None = None
    ) -> None:
        """Log a chat line; `client_id` (the sender's own id for it) is echoed so the sender sees it landed."""
        extra = {"client_id": client_id} if client_id else {}
        async with self._transaction() as tx:
            if await tx.log_to(
                call_id, "chat", while_status=CallStatus.active, speaker=speaker, author=author,
                text=self.redact(text), **extra,
            ):
                return
            await tx.call(call_id, lock=False)  # not_found if there is no such call
            raise CallError(ErrorCode.conflict, "chat is possible only while the call is in progress")

    async def set_hold(self, call_id: str, held: bool) -> None:
        """Hold or resume a call in progress; the resume is logged with how long the hold lasted."""
        async with self._transaction() as tx:
            call = await tx.call(call_id)
            if call.status != CallStatus.active:
                raise CallError(ErrorCode.conflict, "only a call in progress can be held or resumed")
            since = await held_since(tx.session, call_id)
            if held == (since is not None):
                raise CallError(ErrorCode.conflict, "the call is already on hold" if held else "the call is not on hold")
            if held:
                await tx.log(call, "call_held")
            else:
                assert since is not None
                await log_resumed(tx, call, since)

    async def on_hold(self, call_id: str) -> bool:
        async with self.db.sessions() as session:
            return await held_since(session, call_id) is not None

    async def transfer_call(self, user: User, call_id: str, to_agent: int | None, reason: str | None) -> None:
        """Hand a call in progress to another available agent (offered to them) or back to the queue.

        The call keeps its `queued_at`, so back in the queue (at once, or after the offer is declined
        or missed) it is ahead of everyone who called later: the caller keeps their place. The
        transferring agent goes straight to available, not to wrap-up: a wrap-up files the call's
        disposition and notes, which belong to whoever finishes the call, and needs the call ended.
        """
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.status != CallStatus.active:
                    raise CallError(ErrorCode.conflict, "only a call in progress can be transferred")
                if call.agent_id != user.id:
                    raise CallError(ErrorCode.forbidden, "only the agent on the call may transfer it")
                seat = await self._seat(tx, user)
                target = await transfer_target(tx, user.id, to_agent) if to_agent is not None else None
                if (since := await held_since(tx.session, call_id)) is not None:
                    # The next agent starts off hold; the hold's length is kept as for any resume.
                    await log_resumed(tx, call, since)
                await tx.log(
                    call,
                    "call_transferred",
                    from_agent_id=user.id,
                    from_agent_name=seat.name,
                    to="agent" if target else "queue",
                    to_agent_id=target.user_id if target else None,
                    to_agent_name=target.name if target else None,
                    reason=reason,
                )
                call.status, call.agent_id = CallStatus.queued, None
                tx.call_changed(call)
                await self._clear_declines(tx, seat)
                # The queue does not ring the transferring agent with the call they just handed on.
                tx.session.add(SeatDecline(user_id=user.id, call_id=call.id))
                seat.status, seat.call_id, seat.idle_since = AgentStatus.available, None, utcnow()
                tx.seat_changed(seat)
                if target is not None:
                    await self._offer(tx, call, target)
        await self._after_change()
        log.info("call %s transferred by %s to %s", call_id, user.username, to_agent or "the queue")

    async def end_call(self, call_id: str, ended_by: Speaker) -> None:
        async with self._lock:
            async with self._transaction() as tx:
                call = await tx.call(call_id)
                if call.status == CallStatus.ended:
                    raise CallError(ErrorCode.conflict, "the call has already ended")
                await self._end(tx, call, reason="hangup", ended_by=ended_by.value)
        await self._after_change()

    async def _end(self, tx: Transaction, call: Call, reason: str, ended_by: str) -> None:
        """End a live call; its agent (if any) moves on to wrap-up."""
        if call.status == CallStatus.ended:
            return
        was_active = call.status == CallStatus.active
        if call.status in (CallStatus.queued, CallStatus.offered) and reason == "hangup":
            reason = "abandoned"
        if call.offered_to is not None:
            seat = await tx.seat(call.offered_to)
            if seat is not None and seat.call_id == call.id and seat.status == AgentStatus.offered:
                seat.status, seat.call_id = AgentStatus.available, None
                tx.send(agent_channel(seat.user_id), OfferRevoked(call_id=call.id, reason="customer_left"))
                tx.seat_changed(seat)
        call.status, call.ended_at, call.end_reason, call.ended_by = CallStatus.ended, utcnow(), reason, ended_by
        call.offered_to = call.offer_expires_at = call.customer_grace_until = None
        tx.call_changed(call)
        await tx.log(call, "call_ended", reason=reason, ended_by=ended_by)
        if was_active and call.agent_id is not None:
            seat = await tx.seat(call.agent_id)
            if seat is not None:
                seat.status, seat.call_id = AgentStatus.wrap_up, call.id
                tx.seat_changed(seat)

    async def publish_transcript(self, call_id: str, speaker: Speaker, update: TranscriptUpdate) -> None:
        """Partials go straight to listeners; finals are logged first, like every event."""
        if update.final:
            update = replace(update, text=self.redact(update.text), stable_text=self.redact(update.stable_text))
        else:
            text, stable_text = self.redact_partial(update.text, update.stable_text)
            update = replace(update, text=text, stable_text=stable_text)
        if not update.final:
            now = utcnow()
            partial = Transcript(
                call_id=call_id,
                seq=None,
                at=now,
                offset_ms=self.call_offset_ms(call_id),
                speaker=speaker,
                **asdict(update),
            )
            await self._publish(call_channel(call_id), partial)
            return
        async with self._transaction() as tx:
            call = await tx.call(call_id, lock=False)
            await tx.log(call, "transcript", speaker=speaker, **asdict(update))

    # ------------------------------------------------------------------ deadlines and presence

    async def sweep(self) -> None:
        """Act on every due deadline and on the parties of instances that are gone (any instance may)."""
        async with self._lock:
            async with self._transaction() as tx:
                now = utcnow()
                for call in await self.presence.orphaned_customers(tx.session, now):
                    log.warning("call %s: the instance holding its customer is gone", call.id)
                    await self._customer_away(tx, call)
                for seat in await self.presence.orphaned_agents(tx.session, now):
                    if not await self._seat_call_free(tx, seat):
                        continue  # its call is being changed right now: the next round sees the seat again
                    log.warning("agent %s: the instance holding their console is gone", seat.user_id)
                    await self._agent_away(tx, seat)
                for call in await due_offers(tx.session, now):
                    await self._offer_expired(tx, call)
                for call in await due_customer_graces(tx.session, now):
                    await self._end(tx, call, reason="dropped", ended_by="system")
                for seat in await due_agent_graces(tx.session, now):
                    if await self._seat_call_free(tx, seat):
                        await self._agent_gone(tx, seat)
                changed = bool(tx.events or tx.seats or tx.calls)
        if changed:
            await self._after_change()

    async def _seat_call_free(self, tx: Transaction, seat: AgentSeat) -> bool:
        """Lock the seat's call, if it has one, unless another transaction holds it.

        The sweep finds seats before their calls, against the order every other change locks
        them in (call, then seat): waiting here for a call whose holder waits for this seat would
        deadlock, so a busy call is left for the next round instead.
        """
        return seat.call_id is None or await tx.call_if_free(seat.call_id) is not None

    # ------------------------------------------------------------------ reading

    def is_active(self, call_id: str) -> bool:
        cached = self._calls.get(call_id)
        return cached is not None and cached[0] == CallStatus.active

    def call_offset_ms(self, call_id: str) -> int:
        cached = self._calls.get(call_id)
        if cached is None:
            return 0
        return max(0, int((utcnow() - cached[1]).total_seconds() * 1000))

    async def events(self, call_id: str, after_seq: int = 0) -> list[LoggedEvent]:
        async with self.db.sessions() as session:
            return [to_message(event) for event in await read_events(session, call_id, after_seq)]

    async def call_exists(self, call_id: str) -> bool:
        async with self.db.sessions() as session:
            return await session.get(Call, call_id) is not None

    async def live_calls(self) -> LiveCalls:
        """Every call not yet ended, from the database (whichever instance holds it)."""
        agent = aliased(User)
        query = (
            select(
                Call.id, Call.status, Call.channel, Call.customer_name, Call.queued_at, Call.answered_at,
                agent.display_name,
            )
            .outerjoin(agent, agent.id == Call.agent_id)
            .where(Call.status != CallStatus.ended)
            .order_by(Call.queued_at, Call.id)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        # Plain rows, not ORM objects: this runs after every change on a busy floor.
        return LiveCalls(
            calls=[
                LiveCall(
                    call_id=call_id,
                    status=status,
                    channel=channel,
                    customer_name=customer_name,
                    agent_name=agent_name if status == CallStatus.active else None,
                    queued_at=queued_at,
                    answered_at=answered_at,
                )
                for call_id, status, channel, customer_name, queued_at, answered_at, agent_name in rows
            ]
        )

    def agent_state(self, user_id: int) -> AgentState:
        return self._seats.get(user_id) or AgentState(status=AgentStatus.unavailable)

    def current_call_of_agent(self, user_id: int) -> str | None:
        state = self._seats.get(user_id)
        if state and state.status in (AgentStatus.in_call, AgentStatus.wrap_up):
            return state.call_id
        return None

    # ------------------------------------------------------------------ matching and fan-out

    async def _after_change(self) -> None:
        """Hand out offers; queue positions and supervisors' views follow in the background."""
        async with self._lock, self._transaction() as tx:
            while (match := await next_match(tx.session)) is not None:
                await self._offer(tx, *match)
        self._views_changed()

    def _views_changed(self) -> None:
        self._positions.request()
        self._live_calls.request()

    async def _publish_live_calls(self) -> None:
        await self._publish(SUPERVISORS_CHANNEL, await self.live_calls())

    async def _offer(self, tx: Transaction, call: Call, seat: AgentSeat) -> None:
        now = utcnow()
        expires = now + timedelta(seconds=self.settings.offer_timeout_seconds)
        call.status, call.offered_to, call.offer_expires_at = CallStatus.offered, seat.user_id, expires
        seat.status, seat.call_id = AgentStatus.offered, call.id
        tx.call_changed(call)
        await tx.log(call, "call_offered", agent_id=seat.user_id, agent_name=seat.name)
        tx.send(agent_channel(seat.user_id), self._offer_message(call, now))
        tx.seat_changed(seat)

    def _offer_message(self, call: Call, now: datetime) -> CallOffer:
        assert call.offer_expires_at is not None
        return CallOffer(
            call_id=call.id,
            customer_name=call.customer_name,
            channel=call.channel,
            waited_seconds=round((now - call.queued_at).total_seconds(), 1),
            expires_at=call.offer_expires_at,
            timeout_seconds=self.settings.offer_timeout_seconds,
        )

    async def agent_catch_up(self, user_id: int) -> list[AgentState | CallOffer]:
        """An agent's state as the database has it, and the offer they hold if any (after a gap on the bus)."""
        async with self.db.sessions() as session:
            seat = await session.get(AgentSeat, user_id)
            if seat is None:
                return [AgentState(status=AgentStatus.unavailable)]
            caught_up: list[AgentState | CallOffer] = [seat_state(seat)]
            if seat.status == AgentStatus.offered and seat.call_id is not None:
                call = await session.get(Call, seat.call_id)
                if call is not None and call.offered_to == user_id and call.offer_expires_at is not None:
                    caught_up.append(self._offer_message(call, utcnow()))
        return caught_up

    def _remember_changes(self, tx: Transaction) -> None:
        """Right after a commit, before anyone is told: this instance's cache follows the database."""
        for call in tx.calls.values():
            self._remember(call)
        for user_id, (seat, _notify) in tx.seats.items():
            if seat is None:
                self._seats.pop(user_id, None)
            else:
                self._seats[user_id] = seat_state(seat)

    async def _committed(self, tx: Transaction) -> None:
        """After a commit and its events: tell agents their new state, and other instances what changed."""
        for user_id, (seat, notify) in sorted(tx.seats.items()):
            if seat is None:
                continue
            state = seat_state(seat)
            await self._publish(agent_channel(user_id), state)
            if notify:
                self._observe_agent(user_id, str(state.status))
        if tx.calls or tx.seats:
            notice = {"from": self.instance_id, "calls": list(tx.calls), "seats": list(tx.seats)}
            await publish_or_warn(self.bus, STATE_CHANNEL, json.dumps(notice))

    def _remember(self, call: Call) -> None:
        if call.status == CallStatus.ended:
            self._calls.pop(call.id, None)  # not active, and no longer worth keeping
        else:
            self._calls[call.id] = (CallStatus(call.status), call.queued_at)

    async def _kick_elsewhere(self, kind: str, key: str, connection_id: str) -> None:
        """Another instance holds an older socket of this party: ask it to close that one."""
        notice = {"from": self.instance_id, "kick": [kind, key, connection_id]}
        await publish_or_warn(self.bus, STATE_CHANNEL, json.dumps(notice))

    async def _listen(self, subscribed: asyncio.Event) -> None:
        """Follow other instances' notices; after a gap on the bus, refresh the whole cache from the database."""
        missed = False
        while True:
            try:
                async with self.bus.subscribe(STATE_CHANNEL) as subscription:
                    subscribed.set()
                    if missed:
                        await self._refresh(list(self._calls), [*self._seats, *self.agent_connections], True)
                        missed = False
                    async for text in subscription:
                        try:
                            await self._on_notice(json.loads(text))
                        except Exception:  # one bad notice must not stop the listener
                            log.exception("handling a state notice failed")
            except SubscriberOverflow as gap:
                log.warning("missed state notices (%s); the cache is refreshed once the bus is back", gap)
                missed = True
            except Exception:  # the database, while refreshing: try again with the next subscription
                log.exception("refreshing this instance's cache failed")
            await asyncio.sleep(STATE_RESUBSCRIBE_SECONDS)

    async def _on_notice(self, notice: dict[str, Any]) -> None:
        if notice.get("from") == self.instance_id:
            return
        if kick := notice.get("kick"):
            await self._kick_here(*kick)
            return
        calls = [c for c in notice.get("calls", []) if c in self._calls]
        seats = [int(s) for s in notice.get("seats", []) if int(s) in self._seats or int(s) in self.agent_connections]
        await self._refresh(calls, seats, bool(notice.get("calls")))

    async def _refresh(self, calls: list[str], seats: list[int], queue: bool) -> None:
        """Re-read these calls and seats (and the queue's length) into this instance's cache."""
        async with self.db.sessions() as session:
            for call_id in calls:
                call = await session.get(Call, call_id)
                if call is None:
                    self._calls.pop(call_id, None)
                else:
                    self._remember(call)
            for user_id in set(seats):
                seat = await session.get(AgentSeat, user_id)
                if seat is None:
                    self._seats.pop(user_id, None)
                else:
                    self._seats[user_id] = seat_state(seat)
            if queue:
                self.queue_length = await queue_length(session)

    async def _kick_here(self, kind: str, key: str, connection_id: str) -> None:
        if kind == "customer":
            held = self.customer_connections.get(key)
            if held is not None and held[1] == connection_id:
                await held[0].close(4409, "replaced by a newer connection")
        elif kind == "agent":
            held_agent = self.agent_connections.get(int(key))
            if held_agent is not None and held_agent[1] == connection_id:
                await held_agent[0].close(4409, "the console was opened in another window")

    def _observe_agent(self, user_id: int, state: str) -> None:
        for observer in self.agent_state_observers:
            try:
                observer(user_id, state)
            except Exception:  # metrics must not break the call flow
                log.exception("agent state observer failed")

    async def _publish_positions(self) -> None:
        async with self.db.sessions() as session:
            positions = await queue_positions(session)
            free, busy = await staffing(session) if positions else (0, 0)
            handle_s = await average_handle_seconds(session) if positions else None
        self.queue_length = length = len(positions)
        for call_id, position in positions.items():
            wait = expected_wait(position, free, busy, handle_s)
            message = QueuePosition(call_id=call_id, position=position, queue_length=length, expected_wait_s=wait)
            await self._publish(call_channel(call_id), message)

    async def _publish(self, channel: str, message: Any) -> None:
        await publish_or_warn(self.bus, channel, message.model_dump_json())

    async def _was_disconnected(self, tx: Transaction, call_id: str, speaker: Speaker) -> bool:
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

    async def _seat(self, tx: Transaction, user: User) -> AgentSeat:
        seat = await tx.seat(user.id)
        if seat is None:
            raise CallError(ErrorCode.conflict, "connect to the agent console first")
        return seat

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call hub task failed", exc_info=task.exception())
