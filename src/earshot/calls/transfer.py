"""Who a call may be transferred to: an agent other than its own, connected and free right now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import User
from earshot.calls.models import AgentSeat
from earshot.calls.protocol import AgentStatus, ErrorCode
from earshot.calls.recorder import CallError, Transaction


async def available_agents(session: AsyncSession, excluding: int | None = None) -> list[AgentSeat]:
    """Connected agents free to take a call (longest idle first), for the transfer list."""
    query = (
        select(AgentSeat)
        .where(AgentSeat.status == AgentStatus.available, AgentSeat.connection_id.is_not(None))
        .order_by(AgentSeat.idle_since, AgentSeat.user_id)
    )
    if excluding is not None:
        query = query.where(AgentSeat.user_id != excluding)
    return list((await session.execute(query)).scalars().all())


async def transfer_target(tx: Transaction, from_agent: int, to_agent: int) -> AgentSeat:
    """The target's seat, locked; a clear error when the call cannot go to them (nothing is changed)."""
    if to_agent == from_agent:
        raise CallError(ErrorCode.invalid, "you cannot transfer a call to yourself")
    if await tx.session.get(User, to_agent) is None:
        raise CallError(ErrorCode.not_found, f"no agent {to_agent}")
    # Skip a seat another transaction holds (its agent is busy changing state, or transferring a
    # call to this one's agent: waiting for it could deadlock two crosswise transfers on PostgreSQL).
    seat = await tx.session.get(AgentSeat, to_agent, with_for_update={"skip_locked": True}, populate_existing=True)
    if seat is None or seat.connection_id is None or seat.status != AgentStatus.available:
        raise CallError(ErrorCode.conflict, "that agent is not available to take a call right now")
    return seat
