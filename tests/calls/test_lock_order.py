"""Two instances changing one agent's seat and call at once take the row locks in one order: no deadlock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from earshot.auth.models import User
from earshot.calls.hub import CallError, CallHub
from earshot.calls.models import AgentSeat, CallStatus
from earshot.calls.protocol import AgentStatus, Speaker
from earshot.config import Settings
from earshot.db import Database, utcnow
from tests.calls.state_fixtures import add_agent, add_call, get_call, get_seat

ROUNDS = 40


def _hub(database: Database, tmp_path: Path) -> CallHub:
    """A hub as an instance has one (its own process lock), without its background tasks."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=database.url, deadline_sweep_seconds=3600, _env_file=None
    )
    return CallHub(database, settings)


async def _offered(database: Database, round_: int) -> tuple[User, str]:
    """An agent with a call on offer to them, written straight to the database."""
    user_id = await add_agent(database, f"agent-{round_}", status=AgentStatus.offered)
    call_id = await add_call(
        database,
        f"Caller {round_}",
        status=CallStatus.offered,
        offered_to=user_id,
        offer_expires_at=utcnow() + timedelta(seconds=60),
    )
    async with database.sessions() as session:
        seat = await session.get_one(AgentSeat, user_id)
        seat.call_id = call_id
        await session.commit()
        return await session.get_one(User, user_id), call_id


async def test_going_unavailable_while_the_customer_hangs_up_never_deadlocks(
    database: Database, tmp_path: Path
) -> None:
    """`set_availability` (the agent's seat and the call offered to them) races `end_call` (the call and
    the seat it is offered to), on two instances, many times: both finish, or one is refused cleanly."""
    if database.is_sqlite:
        pytest.skip("row locks and deadlocks are PostgreSQL's; SQLite has one writer")
    here, there = _hub(database, tmp_path), _hub(database, tmp_path)
    for round_ in range(ROUNDS):
        user, call_id = await _offered(database, round_)
        results = await asyncio.gather(
            here.set_availability(user, False),
            there.end_call(call_id, Speaker.customer),
            return_exceptions=True,
        )
        # Anything but a refusal of the call flow (a deadlock is a DBAPIError) fails the test.
        failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, CallError)]
        assert not failures, f"round {round_}: {failures!r}"
        call, seat = await get_call(database, call_id), await get_seat(database, user.id)
        assert call.status == CallStatus.ended and call.end_reason == "abandoned"
        assert seat is not None and seat.status == AgentStatus.unavailable and seat.call_id is None


async def test_sweeping_a_gone_agent_while_the_customer_hangs_up_never_deadlocks(
    database: Database, tmp_path: Path
) -> None:
    """The sweep finds a seat whose agent's grace is over (seat first, then its call) while the customer
    hangs up on another instance (call first, then seat): both finish, and the call ends once."""
    if database.is_sqlite:
        pytest.skip("row locks and deadlocks are PostgreSQL's; SQLite has one writer")
    here, there = _hub(database, tmp_path), _hub(database, tmp_path)
    for round_ in range(ROUNDS):
        user_id = await add_agent(database, f"gone-{round_}", status=AgentStatus.in_call, connected=False)
        call_id = await add_call(database, f"Caller {round_}", status=CallStatus.active, agent_id=user_id)
        async with database.sessions() as session:
            seat = await session.get_one(AgentSeat, user_id)
            seat.call_id, seat.grace_until = call_id, utcnow() - timedelta(seconds=1)
            await session.commit()
        results = await asyncio.gather(here.sweep(), there.end_call(call_id, Speaker.customer), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, CallError)]
        assert not failures, f"round {round_}: {failures!r}"
        await here.sweep()  # a seat left for the next round because its call was busy is handled now
        call, seat_now = await get_call(database, call_id), await get_seat(database, user_id)
        assert call.status == CallStatus.ended
        assert seat_now is None or seat_now.status == AgentStatus.wrap_up, "the agent never came back: no live seat"
