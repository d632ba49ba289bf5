"""The unit of work of the call hub: write state and log events in one transaction, publish after commit.

Nothing is published before its transaction commits, so whatever a client sees is in the
database (and every event in the log), whichever instance it is connected to.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.bus import Bus, BusUnavailable
from earshot.calls.models import AgentSeat, Call
from earshot.calls.protocol import ErrorCode, LoggedEvent
from earshot.db import Database
from earshot.sessions.log import append_event, append_to_call, to_message
from earshot.sessions.models import CallEvent

log = logging.getLogger(__name__)


def call_channel(call_id: str) -> str:
    return f"call:{call_id}"


def agent_channel(user_id: int) -> str:
    return f"agent:{user_id}"


async def publish_or_warn(bus: Bus, channel: str, text: str) -> None:
    """Publish what is already committed; if the bus cannot take it, the change stands all the same.

    Its followers learn of the gap from the bus (or from the next event's seq) and catch up
    from the database: the event log, or the current state of a seat or the queue.
    """
    try:
        await bus.publish(channel, text)
    except BusUnavailable as error:
        log.warning("not published (followers catch up later): %s", error)


class CallError(Exception):
    """A request that cannot be honoured; becomes an `error` message for the sender."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Transaction:
    """A DB session plus what happened in it: logged events, messages to send, seats and calls changed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.events: list[CallEvent] = []
        self.messages: list[tuple[str, BaseModel]] = []
        self.seats: dict[int, tuple[AgentSeat | None, bool]] = {}  # user_id -> (seat or None if gone, tell observers)
        self.calls: dict[str, Call] = {}  # calls whose state (not just their log) changed

    async def call(self, call_id: str, lock: bool = True) -> Call:
        """The call's row, locked for this transaction (on PostgreSQL; SQLite has one writer anyway)."""
        call = await self.session.get(Call, call_id, with_for_update=lock, populate_existing=True)
        if call is None:
            raise CallError(ErrorCode.not_found, f"no call {call_id}")
        return call

    async def call_if_free(self, call_id: str) -> Call | None:
        """The call's row locked for this transaction, or None if another one holds it (or it is gone)."""
        return await self.session.get(Call, call_id, with_for_update={"skip_locked": True}, populate_existing=True)

    async def seat(self, user_id: int, lock: bool = True) -> AgentSeat | None:
        return await self.session.get(AgentSeat, user_id, with_for_update=lock, populate_existing=True)

    async def log(self, call: Call, event_type: str, at: datetime | None = None, **payload: Any) -> None:
        self.events.append(await append_event(self.session, call, event_type, payload, at))

    async def log_to(self, call_id: str, event_type: str, while_status: str | None = None, **payload: Any) -> bool:
        """Log an event on a call this transaction has not loaded; False if no such call (in `while_status`)."""
        event = await append_to_call(self.session, call_id, event_type, payload, while_status)
        if event is not None:
            self.events.append(event)
        return event is not None

    def send(self, channel: str, message: BaseModel) -> None:
        """Publish `message` on `channel` once this transaction commits."""
        self.messages.append((channel, message))

    def call_changed(self, call: Call) -> None:
        """Other instances refresh what they know of this call after commit."""
        self.calls[call.id] = call

    def seat_changed(self, seat: AgentSeat, notify: bool = True) -> None:
        """The agent is told their new state after commit; `notify=False` spares the state observers."""
        self.seats[seat.user_id] = (seat, notify or self.seats.get(seat.user_id, (None, False))[1])

    def seat_gone(self, user_id: int) -> None:
        self.seats[user_id] = (None, False)


class Recorder:
    """Runs transactions and, after each commits, publishes its events and messages in order."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        observers: list[Callable[[LoggedEvent], None]],
        after_commit: Callable[[Transaction], Any],
        remember: Callable[[Transaction], None] = lambda _tx: None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.observers = observers
        self._after_commit = after_commit
        self._remember = remember

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One unit of work: commit at the end, roll back on any exception, publish only what committed.

        Callers that may be cancelled (assist tasks) must not run one directly: see `CallHub.log_event`.
        """
        async with self.db.sessions() as session:
            tx = Transaction(session)
            try:
                yield tx
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            # Published before the session is handed back (one await fewer after the commit), so a
            # transaction that committed later on this instance rarely publishes first: a client
            # de-duplicates by seq and would drop the overtaken event.
            await self._publish(tx)

    async def _publish(self, tx: Transaction) -> None:
        # This instance's cache first: a party told of a change may act on it at once.
        self._remember(tx)
        for event in tx.events:
            message = to_message(event)
            await publish_or_warn(self.bus, call_channel(event.call_id), message.model_dump_json())
            for observer in self.observers:
                try:
                    observer(message)
                except Exception:  # a failing observer must not break the call
                    log.exception("call event observer failed")
        for channel, message in tx.messages:
            await publish_or_warn(self.bus, channel, message.model_dump_json())
        await self._after_commit(tx)
