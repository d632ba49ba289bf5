"""The call history: filters, sort and cursor pagination over calls, for one user's role.

Supervisors and admins see every call, agents the calls they took. The page is keyset-paginated
(the cursor holds the last row's sort key and call_id), so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from earshot.auth.models import Role, User
from earshot.calls.models import Call, CallStatus, Disposition
from earshot.calls.schemas import CallSummary
from earshot.inputs import DbInt
from earshot.sessions.models import SENTIMENT_ORDER, CallHistoryRow
from earshot.sessions.search import matching_calls



class HistoryFilters(BaseModel):
    """Query parameters of the history (and of `GET /api/calls`); every filter is optional."""

    model_config = ConfigDict(extra="forbid")

    since: datetime | None = Field(default=None, description="Queued at or after (ISO 8601).")
    until: datetime | None = Field(default=None, description="Queued before (ISO 8601).")
    agent_id: DbInt | None = None
    customer: str | None = Field(default=None, max_length=128, description="Part of the name, email or phone.")
    customer_id: DbInt | None = None
    channel: Literal["web", "phone"] | None = None
    status: CallStatus | None = None
    disposition: Disposition | None = None
    end_reason: Literal["hangup", "dropped", "abandoned", "shutdown"] | None = None
    lowest_sentiment_max: float | None = Field(
        default=None, ge=-1, le=1, description="Calls whose lowest sentiment score is at most this."
    )
    had_alert: bool | None = None
    q: str | None = Field(default=None, max_length=200, description="Words said in the transcript or chat, all of them.")
    sort: Literal["newest", "oldest", "lowest_sentiment"] = Field(
        default="newest", description="`lowest_sentiment`: ended calls only, the most negative first, unscored last."
    )
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=500)


class HistoryItem(CallSummary):
    lowest_sentiment: float | None
    had_alert: bool
    summary: str | None


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class BadCursor(ValueError):
    pass


def _encode(key: Any, call_id: str) -> str:
    raw = json.dumps([key.isoformat() if isinstance(key, datetime) else key, call_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        key, call_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = float(key) if sort == "lowest_sentiment" else datetime.fromisoformat(key)
        return key, str(call_id)
    except (ValueError, TypeError) as exc:
        raise BadCursor("the cursor is not one this server gave out") from exc


def _conditions(filters: HistoryFilters, user: User, search: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    f = filters
    where: list[ColumnElement[bool]] = []
    if not Role(user.role).at_least(Role.supervisor):
        where.append(Call.agent_id == user.id)
    plain = {"agent_id": f.agent_id, "customer_id": f.customer_id, "channel": f.channel, "status": f.status,
             "disposition": f.disposition, "end_reason": f.end_reason}  # fmt: skip
    where += [getattr(Call, name) == value for name, value in plain.items() if value is not None]
    if f.since is not None:
        where.append(Call.queued_at >= f.since)
    if f.until is not None:
        where.append(Call.queued_at < f.until)
    if f.customer:
        where.append(or_(*(column.icontains(f.customer, autoescape=True) for column in
                           (Call.customer_name, Call.customer_email, Call.customer_phone))))  # fmt: skip
    if f.lowest_sentiment_max is not None:
        where.append(CallHistoryRow.lowest_sentiment <= f.lowest_sentiment_max)
    if f.had_alert is not None:
        where.append(CallHistoryRow.had_alert == int(f.had_alert))
    if search is not None:
        where.append(search)
    return where


def history_query(filters: HistoryFilters, user: User, search: ColumnElement[bool] | None = None) -> Select[Any]:
    """The page's SELECT (one row more than the limit, to know whether another page follows).

    `search` is the text search's condition (`matching_calls`), worked out beforehand.
    """
    agent = aliased(User)
    by_mood = filters.sort == "lowest_sentiment"
    # By mood: calls with a history row (ended ones), in the order of its index (see models.py).
    key: ColumnElement[Any] = SENTIMENT_ORDER if by_mood else Call.queued_at  # type: ignore[assignment]
    tie: ColumnElement[str] = CallHistoryRow.call_id if by_mood else Call.id  # type: ignore[assignment]
    descending = filters.sort == "newest"
    query = (
        select(Call, agent, CallHistoryRow, key.label("sort_key"))
        .outerjoin(agent, Call.agent_id == agent.id)
        .join(CallHistoryRow, CallHistoryRow.call_id == Call.id, isouter=not by_mood)
        .where(*_conditions(filters, user, search))
    )
    if filters.cursor:
        after, call_id = _decode(filters.cursor, filters.sort)
        if descending:
            query = query.where(or_(key < after, and_(key == after, tie < call_id)))
        else:
            query = query.where(or_(key > after, and_(key == after, tie > call_id)))
    order = (key.desc(), tie.desc()) if descending else (key.asc(), tie.asc())
    return query.order_by(*order).limit(filters.limit + 1)


def _item(call: Call, agent: User | None, marks: CallHistoryRow | None) -> HistoryItem:
    fields = {c: getattr(call, c) for c in CallSummary.model_fields if hasattr(call, c)}
    return HistoryItem.model_validate({
        **fields, "call_id": call.id, "agent_name": agent.display_name if agent else None,
        "lowest_sentiment": marks.lowest_sentiment if marks else None,
        "had_alert": bool(marks.had_alert) if marks else False, "summary": marks.summary if marks else None,
    })  # fmt: skip


async def history_page(session: AsyncSession, filters: HistoryFilters, user: User) -> HistoryPage:
    search = await matching_calls(session, filters.q) if filters.q else None
    rows = (await session.execute(history_query(filters, user, search))).all()
    items = [_item(call, agent, marks) for call, agent, marks, _ in rows[: filters.limit]]
    more = len(rows) > filters.limit
    last = rows[filters.limit - 1] if more else None
    return HistoryPage(items=items, next_cursor=_encode(last.sort_key, last[0].id) if last is not None else None)
