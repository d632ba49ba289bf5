"""A call's recording: played or downloaded (with Range, so players can seek), deleted by admins; the policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from earshot.auth.deps import AdminUser, AgentUser
from earshot.db import SessionDep
from earshot.recordings.encoder import MEDIA_TYPE, SUFFIX
from earshot.recordings.service import RecordingBusy, Recordings
from earshot.sessions.routes import visible_call

router = APIRouter(tags=["recordings"])


def get_recordings(request: Request) -> Recordings:
    return request.app.state.recordings  # type: ignore[no-any-return]  # set in the lifespan


RecordingsDep = Annotated[Recordings, Depends(get_recordings)]


class RecordingPolicy(BaseModel):
    enabled: bool
    retention_days: int  # 0: kept until deleted


@router.get("/api/recordings/policy")
async def recording_policy(recordings: RecordingsDep) -> RecordingPolicy:
    """Whether calls are recorded (the customer's page says so); public."""
    return RecordingPolicy(enabled=recordings.enabled, retention_days=recordings.retention_days)


@router.get(
    "/api/calls/{call_id}/recording",
    response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}}, 206: {"description": "the range asked for"}},
)
async def call_recording(call_id: str, user: AgentUser, session: SessionDep, recordings: RecordingsDep) -> FileResponse:
    """The call's audio (Ogg/Opus; channel 1 the customer, 2 the agent). Agents: their own calls."""
    await visible_call(session, call_id, user)
    path = recordings.path(call_id)
    if not path.is_file():
        raise HTTPException(status_code=404, detail="this call has no recording")
    return FileResponse(
        path, media_type=MEDIA_TYPE, filename=f"call-{call_id}{SUFFIX}", content_disposition_type="inline"
    )


@router.delete("/api/calls/{call_id}/recording", status_code=status.HTTP_204_NO_CONTENT)
async def delete_recording(call_id: str, user: AdminUser, session: SessionDep, recordings: RecordingsDep) -> Response:
    """Delete the call's recording for good (the call's log stays)."""
    await visible_call(session, call_id, user)
    try:
        deleted = await recordings.delete(call_id)
    except RecordingBusy:
        raise HTTPException(status_code=409, detail="the call is still being recorded") from None
    if not deleted:
        raise HTTPException(status_code=404, detail="this call has no recording")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
