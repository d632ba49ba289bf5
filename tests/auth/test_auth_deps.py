"""Finding the user behind a WebSocket handshake."""

from __future__ import annotations

from fastapi import WebSocket

from earshot.auth.deps import user_from_websocket
from earshot.auth.models import User
from earshot.auth.security import SESSION_COOKIE, issue_token
from earshot.config import Settings
from earshot.db import Database


def _handshake(headers: dict[str, str]) -> WebSocket:
    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def never() -> dict[str, str]:
        raise AssertionError("the handshake is not read")

    async def ignore(_message: object) -> None:
        return None

    return WebSocket(scope, receive=never, send=ignore)


async def test_websocket_cookie_identifies_the_user(db: Database, settings: Settings, staff: dict[str, User]) -> None:
    token, _ = issue_token(staff["agent"], settings)
    user = await user_from_websocket(_handshake({"Cookie": f"{SESSION_COOKIE}={token}"}), db, settings)
    assert user is not None and user.username == "alex"


async def test_websocket_bearer_header_identifies_the_user(
    db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    token, _ = issue_token(staff["admin"], settings)
    user = await user_from_websocket(_handshake({"Authorization": f"Bearer {token}"}), db, settings)
    assert user is not None and user.username == "ada"


async def test_websocket_without_valid_token_or_active_user_is_anonymous(
    db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    disabled, _ = issue_token(staff["disabled"], settings)
    for headers in [{}, {"Cookie": f"{SESSION_COOKIE}=garbage"}, {"Authorization": f"Bearer {disabled}"}]:
        assert await user_from_websocket(_handshake(headers), db, settings) is None
