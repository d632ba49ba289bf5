"""Which instances are alive, and which callers and agents were held by one that is not.

Each instance keeps an `instances` row with a heartbeat. A customer's call and an agent's seat
record the instance whose socket holds them; when that instance stops beating (it crashed or
was cut off), any other instance's sweeper treats its parties as disconnected.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import AgentSeat, Call, CallStatus, Instance
from earshot.db import Database, run_to_completion, unreachable, utcnow

log = logging.getLogger(__name__)


class Presence:
    """This instance's heartbeat, and what other instances' silence means."""

    def __init__(self, db: Database, heartbeat_seconds: float, expiry_seconds: float) -> None:
        if heartbeat_seconds <= 0 or expiry_seconds <= heartbeat_seconds:
            raise ValueError("the instance expiry must be longer than its (positive) heartbeat interval")
        self.db = db
        self.instance_id = uuid.uuid4().hex
        self.heartbeat_seconds = heartbeat_seconds
        self.expiry = timedelta(seconds=expiry_seconds)
        self._task: asyncio.Task[None] | None = None
        # Since when this instance's beats have reached the database without a miss (None: they miss now).
        self._in_touch_since: datetime | None = None

    async def start(self) -> None:
        await self.beat()
        # A fresh start judges at once: the heartbeats it finds are as old as their instances' silence.
        self._in_touch_since = utcnow() - self.expiry
        self._task = asyncio.get_running_loop().create_task(self._run())

    def may_judge_others(self, now: datetime) -> bool:
        """Whether silence of another instance means it is gone, rather than that the database was.

        After the database was unreachable, every heartbeat in it may be stale: only once this
        instance has been beating again for a whole expiry has each live instance had the time
        to beat again too.
        """
        return self._in_touch_since is not None and now - self._in_touch_since >= self.expiry

    async def beat(self) -> None:
        """Say we are alive (again: a row removed by a sweeper that thought us dead comes back).

        Rows of instances silent for a long while go at the same time: their parties were
        handled by a sweeper long ago. (Here, not in the sweep: a write every beat, not every sweep.)
        """
        async with self.db.sessions() as session:
            now = utcnow()
            done = await session.execute(
                update(Instance).where(Instance.id == self.instance_id).values(heartbeat_at=now)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                session.add(Instance(id=self.instance_id, started_at=now, heartbeat_at=now))
            await session.execute(
                delete(Instance).where(Instance.heartbeat_at < now - 10 * self.expiry, Instance.id != self.instance_id)
            )
            await session.commit()
        if self._in_touch_since is None:
            self._in_touch_since = now

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                lost = self._in_touch_since is None
                await run_to_completion(self.beat())
                if lost:
                    log.info("instance heartbeat reaches the database again")
            except Exception as error:  # keep beating: a missed beat or two is what the expiry allows for
                if self._in_touch_since is not None:
                    self._in_touch_since = None
                    if unreachable(error):
                        log.warning("instance heartbeat failed: the database is unreachable (%s)", error)
                    else:
                        log.exception("instance heartbeat failed")

    async def stop(self) -> None:
        """Stop beating and leave: this instance's parties count as disconnected from now on."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        async with self.db.sessions() as session:
            await session.execute(delete(Instance).where(Instance.id == self.instance_id))
            await session.commit()

    def _alive_since(self, now: datetime) -> datetime:
        return now - self.expiry

    async def others_alive(self) -> bool:
        async with self.db.sessions() as session:
            query = select(Instance.id).where(
                Instance.id != self.instance_id, Instance.heartbeat_at >= self._alive_since(utcnow())
            )
            return (await session.execute(query.limit(1))).first() is not None

    async def orphaned_customers(self, session: AsyncSession, now: datetime) -> Sequence[Call]:
        """Live calls whose customer socket is held by an instance that is gone; locked for this transaction."""
        if not self.may_judge_others(now):
            return []
        query = (
            select(Call)
            .where(
                Call.status != CallStatus.ended,
                Call.customer_connection_id.is_not(None),
                Call.customer_instance_id != self.instance_id,
                Call.customer_instance_id.not_in(self._live_ids(now)),
            )
            .with_for_update(skip_locked=True)
        )
        return (await session.execute(query)).scalars().all()

    async def orphaned_agents(self, session: AsyncSession, now: datetime) -> Sequence[AgentSeat]:
        """Seats whose agent socket is held by an instance that is gone; locked for this transaction."""
        if not self.may_judge_others(now):
            return []
        query = (
            select(AgentSeat)
            .where(
                AgentSeat.connection_id.is_not(None),
                AgentSeat.instance_id != self.instance_id,
                AgentSeat.instance_id.not_in(self._live_ids(now)),
            )
            .with_for_update(skip_locked=True)
        )
        return (await session.execute(query)).scalars().all()

    def _live_ids(self, now: datetime) -> Select[tuple[str]]:
        # Callers also spare this instance whatever its row says: its own sockets are open right here.
        return select(Instance.id).where(Instance.heartbeat_at >= self._alive_since(now))
