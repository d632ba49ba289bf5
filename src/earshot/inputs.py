"""What Earshot accepts from outside: ids that fit the database, and JSON it can store.

Bad input must cost no more than its own answer (a 422, or an `error` message), never a 500
or a dropped socket. Two kinds slip through plain pydantic types and fail deep inside:
integers beyond the database's INTEGER columns (32 bits in PostgreSQL), and JSON strings
holding lone UTF-16 surrogates (`"\\ud800"`), which decode to a Python `str` that cannot be
encoded as UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from annotated_types import Interval
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INT32_MAX = 2**31 - 1

DbInt = Annotated[int, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
"""An integer that fits an INTEGER column (32 bits in PostgreSQL): every id a client may send."""

DbSeq = Annotated[int, Interval(ge=0, le=INT32_MAX)]
"""A position in a call's event log (an INTEGER column); 0 is before the first event.
(Its own type: a `ge=0` added beside DbInt's bounds would not take effect.)"""

MAX_JSON_DEPTH = 32
"""Deeper than any message of ours; deeper input is refused before it can recurse."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_NUL_IN_URL = re.compile(rb"%00|\x00")
UNSTORABLE_TEXT = "text holds a NUL or a lone UTF-16 surrogate, which cannot be stored"


class UnacceptableJson(ValueError):
    """Parsed JSON that Earshot refuses: too deeply nested, or holding text it cannot store."""


def check_json(value: Any, depth: int = 0) -> None:
    """Raise `UnacceptableJson` if `value` (from `json.loads`) nests too deep or holds unstorable text."""
    if depth > MAX_JSON_DEPTH:
        raise UnacceptableJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            raise UnacceptableJson(UNSTORABLE_TEXT)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json(key, depth + 1)
            check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1)


def parse_json(text: str | bytes) -> Any:
    """`json.loads` that raises `UnacceptableJson` instead of recursing without bound or storing bad text."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise UnacceptableJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    check_json(value)
    return value


class InputGuard:
    """ASGI middleware: input `parse_json` would refuse is answered before any route runs.

    A NUL in the path or query string gets 422 (a WebSocket handshake: 403); so does a JSON
    body too deep or with unstorable text. Only bodies that could be refused (an escape of a
    surrogate or NUL, or deep nesting) are parsed twice.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        nul_in_path = "\x00" in scope["path"] or bool(_NUL_IN_URL.search(scope.get("raw_path") or b""))
        if nul_in_path or _NUL_IN_URL.search(scope.get("query_string", b"")):
            await _refuse(scope, receive, send, ["path" if nul_in_path else "query"])
            return
        if scope["type"] == "websocket" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        messages = await _read_body(receive)
        problem = _refusal(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"))
        if problem is not None:
            await _unprocessable(send, problem, ["body"])
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _refusal(body: bytes) -> str | None:
    if not _UNSTORABLE_ESCAPE.search(body) and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return None
    try:
        parse_json(body)
    except UnacceptableJson as exc:
        return str(exc)
    except ValueError:
        return None  # not JSON at all: the route's own validation answers that
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, loc: list[str]) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": "NUL in the URL"})
        return
    await _unprocessable(send, "a NUL character in the URL", loc)


async def _unprocessable(send: Send, problem: str, loc: list[str]) -> None:
    # The shape of FastAPI's own validation errors, so clients handle one format.
    detail = [{"type": "value_error", "loc": loc, "msg": problem, "input": None}]
    payload = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
