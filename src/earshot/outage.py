"""What clients get while the database is unreachable: a clear, retryable refusal, never a crash.

HTTP requests get 503 with a JSON `detail` and `Retry-After`; a WebSocket gets an `error`
frame with the code `unavailable` and is closed with 1013 (try again later), after which
the client reconnects and resumes from the event log. Any other error goes on as before.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketState

from earshot.calls.connection import CLOSE_TRY_AGAIN
from earshot.calls.protocol import Error, ErrorCode
from earshot.calls.ws import CALL_SUBPROTOCOL
from earshot.db import UNREACHABLE_MESSAGE, unreachable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


async def _database_unreachable(connection: Request | WebSocket, error: Exception) -> JSONResponse | None:
    if not unreachable(error):
        raise error  # not ours: the server's error handling takes it (500, logged)
    log.warning("%s %s: %s (%s)", connection.scope["type"], connection.url.path, UNREACHABLE_MESSAGE, error)
    if isinstance(connection, WebSocket):
        await _close_socket(connection)
        return None
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse({"detail": UNREACHABLE_MESSAGE}, status_code=503, headers=headers)


async def _close_socket(websocket: WebSocket) -> None:
    """Say why and close with 1013 (a browser cannot read why a handshake was refused, so accept first)."""
    with contextlib.suppress(Exception):  # the client may be gone already
        if websocket.application_state == WebSocketState.CONNECTING:
            offered = websocket.scope.get("subprotocols", [])
            await websocket.accept(subprotocol=CALL_SUBPROTOCOL if CALL_SUBPROTOCOL in offered else None)
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.send_text(Error(code=ErrorCode.unavailable, message=UNREACHABLE_MESSAGE).model_dump_json())
            await websocket.close(code=CLOSE_TRY_AGAIN, reason=UNREACHABLE_MESSAGE)


def handle_database_outages(app: FastAPI) -> None:
    for kind in (ConnectionError, PoolTimeout, DBAPIError):
        app.add_exception_handler(kind, _database_unreachable)  # type: ignore[arg-type]
