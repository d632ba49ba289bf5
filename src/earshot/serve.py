"""Running the app under uvicorn, with a shutdown that ends calls and says goodbye with 1001.

On SIGTERM uvicorn closes every open WebSocket with 1012 ("service restart") before the
app's lifespan shutdown runs, so the hub would find its sockets already gone: customers never
heard `call_ended`. Here the hub ends the calls first (each party is told), and every socket
left open is closed with 1001 ("going away"), as docs/protocol.md documents; then uvicorn's
own shutdown finds nothing left to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001


class OpenSockets:
    """ASGI middleware that remembers each accepted WebSocket, so shutdown can close it with 1001."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._open: dict[int, Send] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        key = id(scope)

        async def tracked(message: Message) -> None:
            if message["type"] == "websocket.accept":
                self._open[key] = send
            elif message["type"] == "websocket.close":
                self._open.pop(key, None)
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            self._open.pop(key, None)

    async def close_all(self, reason: str) -> None:
        for send in list(self._open.values()):
            with contextlib.suppress(Exception):  # closed meanwhile by the app or the client
                await send({"type": "websocket.close", "code": CLOSE_GOING_AWAY, "reason": reason})
        self._open.clear()


class EarshotServer(uvicorn.Server):
    """uvicorn's server, whose shutdown ends live calls before it closes any connection."""

    def __init__(self, app: FastAPI, **options: object) -> None:
        self.earshot = app
        self.sockets = OpenSockets(app)
        super().__init__(uvicorn.Config(self.sockets, **options))  # type: ignore[arg-type]

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while the calls end
        hub = getattr(self.earshot.state, "hub", None)  # absent if start-up failed
        if hub is not None:
            try:
                await asyncio.wait_for(hub.end_all_calls(), timeout=10)
            except Exception:
                log.exception("ending live calls at shutdown failed")
        await self.sockets.close_all("server shutting down")
        await super().shutdown(sockets)
