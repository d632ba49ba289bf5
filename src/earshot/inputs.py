"""What Earshot accepts from outside: ids that fit the database, and JSON it can store.

Bad input must cost no more than its own answer (a 422, or an `error` message), never a 500
or a dropped socket. Two kinds slip through plain pydantic types and fail deep inside:
integers beyond the database's 64-bit columns, and JSON strings holding lone UTF-16
surrogates (`"\\ud800"`), which decode to a Python `str` that cannot be encoded as UTF-8.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from annotated_types import Interval
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INT64_MAX = 2**63 - 1

DbInt = Annotated[int, Interval(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""An integer that fits a BIGINT column: every id a client may send."""

DbSeq = Annotated[int, Interval(ge=0, le=INT64_MAX)]
"""A position in a call's event log that fits its column; 0 is before the first event.
(Its own type: a `ge=0` added beside DbInt's bounds would not take effect.)"""

MAX_JSON_DEPTH = 32
"""Deeper than any message of ours; deeper input is refused before it can recurse."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class UnacceptableJson(ValueError):
    """Parsed JSON that Earshot refuses: too deeply nested, or text that is not valid Unicode."""


def check_json(value: Any, depth: int = 0) -> None:
    """Raise `UnacceptableJson` if `value` (from `json.loads`) nests too deep or holds a lone surrogate."""
    if depth > MAX_JSON_DEPTH:
        raise UnacceptableJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise UnacceptableJson("text holds a lone UTF-16 surrogate (not valid Unicode)")
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


class JsonBodyGuard:
    """ASGI middleware: a JSON request body that `parse_json` refuses is answered 422 before any route runs.

    Only bodies that could be refused are parsed twice: those with a surrogate escape, or deep nesting.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body, more_body = b"", True
        messages: list[Message] = []
        while more_body:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
        problem = _refusal(body)
        if problem is not None:
            await _unprocessable(send, problem)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _refusal(body: bytes) -> str | None:
    if not _SURROGATE_ESCAPE.search(body) and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return None
    try:
        parse_json(body)
    except UnacceptableJson as exc:
        return str(exc)
    except ValueError:
        return None  # not JSON at all: the route's own validation answers that
    return None


async def _unprocessable(send: Send, problem: str) -> None:
    # The shape of FastAPI's own validation errors, so clients handle one format.
    detail = [{"type": "json_invalid", "loc": ["body"], "msg": problem, "input": None}]
    payload = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
