"""Who waits, who is free, and which waiting customer goes to which agent next, read from the database.

Every instance may match at once: on PostgreSQL the candidate rows are taken with
`FOR UPDATE SKIP LOCKED`, so two matchers never offer the same call or ring the same agent;
SQLite has a single writer (and one process), which is enough there.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import AgentSeat, Call, CallStatus, SeatDecline
from earshot.calls.protocol import AgentStatus

MATCH_WINDOW = 50  # waiting calls looked at per round; the rest wait their turn
HANDLE_SAMPLE = 50  # recent answered calls whose length estimates the next waits
WAITING = (CallStatus.queued, CallStatus.offered)


async def next_match(session: AsyncSession) -> tuple[Call, AgentSeat] | None:
    """The longest-waiting unoffered call that someone can take, with the longest-idle agent who can; both locked.

    Only the pair is locked: a call is looked at unlocked first, so one matcher never holds
    the whole queue while another instance looks for work.
    """
    waiting = (
        select(Call.id).where(Call.status == CallStatus.queued).order_by(Call.queued_at, Call.id).limit(MATCH_WINDOW)
    )
    for call_id in (await session.execute(waiting)).scalars().all():
        declined = select(SeatDecline.user_id).where(SeatDecline.call_id == call_id)
        free = (
            select(AgentSeat)
            .where(
                AgentSeat.status == AgentStatus.available,
                AgentSeat.connection_id.is_not(None),
                AgentSeat.user_id.not_in(declined),
            )
            .order_by(AgentSeat.idle_since, AgentSeat.user_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        seat = (await session.execute(free)).scalar_one_or_none()
        if seat is None:
            continue
        still_waiting = (
            select(Call)
            .where(Call.id == call_id, Call.status == CallStatus.queued)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        call = (await session.execute(still_waiting)).scalar_one_or_none()
        if call is not None:  # else another instance is offering it right now
            return call, seat
    return None


async def queue_positions(session: AsyncSession) -> dict[str, int]:
    """1-based place in line of every waiting call (an offered call keeps its place until accepted)."""
    result = await session.execute(select(Call.id).where(Call.status.in_(WAITING)).order_by(Call.queued_at, Call.id))
    return {call_id: place for place, call_id in enumerate(result.scalars(), start=1)}


async def queue_length(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Call).where(Call.status.in_(WAITING))) or 0)


def expected_wait(position: int, free: int, busy: int, handle_s: float | None) -> float | None:
    """Seconds until the caller at `position` is answered: the callers up to them beyond the free agents,
    served by the busy agents at one call per average handle time each. None when nobody can answer."""
    ahead = position - free
    if ahead <= 0:
        return 0.0
    if busy == 0 or handle_s is None:
        return None
    return round(ahead * handle_s / busy, 1)


async def staffing(session: AsyncSession) -> tuple[int, int]:
    """Connected agents about to answer (free, or ringing with a caller at the head of the line), and
    those busy with a call (talking or wrapping up)."""
    rows = await session.execute(
        select(AgentSeat.status, func.count()).where(AgentSeat.connection_id.is_not(None)).group_by(AgentSeat.status)
    )
    counts = {status: int(count) for status, count in rows}
    busy = counts.get(AgentStatus.in_call, 0) + counts.get(AgentStatus.wrap_up, 0)
    return counts.get(AgentStatus.available, 0) + counts.get(AgentStatus.offered, 0), busy


async def average_handle_seconds(session: AsyncSession) -> float | None:
    """Average answered-to-ended time of the most recent answered calls (read in Python: portable date maths)."""
    rows = await session.execute(
        select(Call.answered_at, Call.ended_at)
        .where(Call.answered_at.is_not(None), Call.ended_at.is_not(None))
        .order_by(Call.ended_at.desc())
        .limit(HANDLE_SAMPLE)
    )
    lengths = [(ended - answered).total_seconds() for answered, ended in rows if ended >= answered]
    return sum(lengths) / len(lengths) if lengths else None
