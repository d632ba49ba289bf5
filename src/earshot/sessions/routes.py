"""REST routes over the call event log: a call's events, the history, and exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.deps import AgentUser, SupervisorUser
from earshot.auth.models import Role, User
from earshot.calls.models import Call
from earshot.db import DatabaseDep, SessionDep
from earshot.inputs import DbSeq
from earshot.sessions import export
from earshot.sessions.history import BadCursor, HistoryFilters, HistoryItem, HistoryPage, history_page
from earshot.sessions.log import read_events, to_message

router = APIRouter(tags=["sessions"])
CSV_PAGE = 500
EVENTS_PAGE_MAX = 1000  # a page of the log: enough for a quick first frame, bounded per request


async def visible_call(session: AsyncSession, call_id: str, user: User) -> Call:
    """The call, if this user may look back at it (staff: any; agents: the calls they took); else 404."""
    call = await session.get(Call, call_id)
    if call is None or (not Role(user.role).at_least(Role.supervisor) and call.agent_id != user.id):
        raise HTTPException(status_code=404, detail="no such call")
    return call


@router.get("/api/calls/{call_id}/events")
async def call_events(
    call_id: str,
    user: AgentUser,
    session: SessionDep,
    response: Response,
    after_seq: Annotated[DbSeq, Query()] = 0,
    limit: Annotated[int | None, Query(ge=1, le=EVENTS_PAGE_MAX)] = None,
) -> list[dict[str, Any]]:
    """A call's logged events after `after_seq`, as the WebSocket carried them; at most `limit` of them.

    Who may read it is as for the export (agents: the calls they took). When a page stops short of
    the log's end, `X-Next-After-Seq` holds the `after_seq` of the next one, so a replay can show its
    first frame from the first page and read the rest behind it.
    """
    await visible_call(session, call_id, user)
    # One row more than asked says whether another page follows, without counting the log.
    rows = await read_events(session, call_id, after_seq, None if limit is None else limit + 1)
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        response.headers["X-Next-After-Seq"] = str(rows[-1].seq)
    return [to_message(event).model_dump(mode="json") for event in rows]


async def page_or_400(session: AsyncSession, filters: HistoryFilters, user: User) -> HistoryPage:
    try:
        return await history_page(session, filters, user)
    except BadCursor as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.get("/api/calls")
async def list_calls(
    filters: Annotated[HistoryFilters, Query()], user: SupervisorUser, session: SessionDep, response: Response
) -> list[HistoryItem]:
    """Calls, newest first, with the history's filters; the next page's `cursor` is in the `X-Next-Cursor` header."""
    page = await page_or_400(session, filters, user)
    if page.next_cursor is not None:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return page.items


@router.get("/api/history")
async def history(filters: Annotated[HistoryFilters, Query()], user: AgentUser, session: SessionDep) -> HistoryPage:
    """Calls, newest first by default: every call for supervisors and admins, their own for agents."""
    return await page_or_400(session, filters, user)


@router.get("/api/history.csv", response_class=StreamingResponse)
async def history_csv(
    filters: Annotated[HistoryFilters, Query()], user: AgentUser, session: SessionDep, db: DatabaseDep
) -> StreamingResponse:
    """The filtered history as CSV, every page of it (`cursor` and `limit` are ignored)."""
    filters = filters.model_copy(update={"cursor": None, "limit": CSV_PAGE})
    first = await page_or_400(session, filters, user)

    async def rows() -> AsyncIterator[str]:
        # Its own DB session: the request's is closed by the time the body streams.
        yield export.history_csv_header() + export.history_csv_rows(first.items)
        cursor = first.next_cursor
        async with db.sessions() as reader:
            while cursor is not None:
                page = await history_page(reader, filters.model_copy(update={"cursor": cursor}), user)
                yield export.history_csv_rows(page.items)
                cursor = page.next_cursor

    headers = {"Content-Disposition": 'attachment; filename="earshot-history.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/api/calls/{call_id}/export")
async def export_call(
    call_id: str,
    user: AgentUser,
    session: SessionDep,
    format: Annotated[Literal["json", "txt", "vtt", "srt"], Query()] = "json",
) -> Response:
    """One call as a file: its log (json), a transcript (txt), or captions (vtt, srt). Agents: their own calls."""
    call = await visible_call(session, call_id, user)
    events = [to_message(event) for event in await read_events(session, call_id)]
    if format == "json":
        body = export.to_json(events)
    elif format == "txt":
        agent = await session.get(User, call.agent_id) if call.agent_id else None
        body = export.to_text(call, agent.display_name if agent else None, events)
    else:
        body = export.to_vtt(events) if format == "vtt" else export.to_srt(events)
    headers = {"Content-Disposition": f'attachment; filename="call-{call_id}.{format}"'}
    return Response(body, media_type=export.MEDIA_TYPES[format], headers=headers)
