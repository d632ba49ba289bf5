"""REST route for the state of live transcription: model, queue, lag, skipped partials."""

from __future__ import annotations

from fastapi import APIRouter, Request

from earshot.auth.deps import SupervisorUser

router = APIRouter(prefix="/api/transcription", tags=["transcription"])


@router.get("/status")
async def transcription_status(_user: SupervisorUser, request: Request) -> dict[str, object]:
    """Whether the model is loaded, how far decoding lags behind, and how many partials were skipped."""
    return request.app.state.transcription.status()  # type: ignore[no-any-return]
