"""REST route for a call's event log, in order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from earshot.auth.deps import SupervisorUser
from earshot.calls.models import Call
from earshot.db import SessionDep
from earshot.inputs import DbSeq
from earshot.sessions.log import read_events, to_message

router = APIRouter(prefix="/api/calls", tags=["sessions"])


@router.get("/{call_id}/events")
async def call_events(
    call_id: str,
    _user: SupervisorUser,
    session: SessionDep,
    after_seq: Annotated[DbSeq, Query()] = 0,
) -> list[dict[str, Any]]:
    """Every logged event of a call after `after_seq`, as the WebSocket carried it."""
    if await session.get(Call, call_id) is None:
        raise HTTPException(status_code=404, detail="no such call")
    return [to_message(event).model_dump(mode="json") for event in await read_events(session, call_id, after_seq)]
