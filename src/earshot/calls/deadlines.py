"""Stored deadlines (offer expiry, reconnect graces) and the task that sweeps them on every instance.

A deadline is a timestamp in a row, not a timer in one process: whichever instance is alive
claims the due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two sweepers never act twice)
and acts on them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import AgentSeat, Call, CallStatus
from earshot.db import run_to_completion, unreachable

log = logging.getLogger(__name__)


async def due_offers(session: AsyncSession, now: datetime) -> Sequence[Call]:
    """Offered calls nobody accepted in time."""
    query = (
        select(Call)
        .where(Call.status == CallStatus.offered, Call.offer_expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def due_customer_graces(session: AsyncSession, now: datetime) -> Sequence[Call]:
    """Calls whose customer went away (or never came) and did not come back in time."""
    query = (
        select(Call)
        .where(
            Call.status != CallStatus.ended,
            Call.customer_connection_id.is_(None),
            Call.customer_grace_until <= now,
        )
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def due_agent_graces(session: AsyncSession, now: datetime) -> Sequence[AgentSeat]:
    """Seats whose agent went away and did not come back in time."""
    query = (
        select(AgentSeat)
        .where(AgentSeat.connection_id.is_(None), AgentSeat.grace_until <= now)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


class Sweeper:
    """Runs `sweep` every `interval` seconds until stopped; a failed round is logged, the next one runs."""

    def __init__(self, sweep: Callable[[], Awaitable[None]], interval: float) -> None:
        if interval <= 0:
            raise ValueError("the deadline sweep interval must be positive")
        self._sweep = sweep
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._interval)
            try:
                # Stopping mid-sweep must not cut a transaction short (see `run_to_completion`).
                await run_to_completion(self._sweep())
            except Exception as error:  # a database hiccup must not stop deadlines for good
                if unreachable(error):  # said once per outage, not once per round
                    if not failing:
                        log.warning("deadline sweeps fail: the database is unreachable (%s)", error)
                    failing = True
                    continue
                log.exception("deadline sweep failed")
            failing = False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
