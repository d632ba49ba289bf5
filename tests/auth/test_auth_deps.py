"""Finding the user (and login) behind a WebSocket handshake."""

from __future__ import annotations

from fastapi import WebSocket

from earshot.auth.deps import signed_in_from_websocket
from earshot.auth.logins import end_login, start_login
from earshot.auth.models import User
from earshot.auth.security import SESSION_COOKIE, decode_token
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


async def _token_of(db: Database, settings: Settings, user: User) -> str:
    async with db.sessions() as session:
        token, _ = await start_login(session, user, settings)
        await session.commit()
    return token


async def test_websocket_cookie_identifies_the_user(db: Database, settings: Settings, staff: dict[str, User]) -> None:
    token = await _token_of(db, settings, staff["agent"])
    signed_in = await signed_in_from_websocket(_handshake({"Cookie": f"{SESSION_COOKIE}={token}"}), db, settings)
    assert signed_in is not None and signed_in.user.username == "alex"


async def test_websocket_bearer_header_identifies_the_user_and_login(
    db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    token = await _token_of(db, settings, staff["admin"])
    signed_in = await signed_in_from_websocket(_handshake({"Authorization": f"Bearer {token}"}), db, settings)
    claims = decode_token(token, settings)
    assert signed_in is not None and signed_in.user.username == "ada"
    assert claims is not None and signed_in.login_id == claims.login_id


async def test_websocket_without_valid_token_or_active_user_is_anonymous(
    db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    disabled = await _token_of(db, settings, staff["disabled"])
    for headers in [{}, {"Cookie": f"{SESSION_COOKIE}=garbage"}, {"Authorization": f"Bearer {disabled}"}]:
        assert await signed_in_from_websocket(_handshake(headers), db, settings) is None


async def test_websocket_with_a_revoked_login_is_anonymous(
    db: Database, settings: Settings, staff: dict[str, User]
) -> None:
    token = await _token_of(db, settings, staff["agent"])
    claims = decode_token(token, settings)
    assert claims is not None
    async with db.sessions() as session:
        await end_login(session, claims.login_id)
        await session.commit()
    assert await signed_in_from_websocket(_handshake({"Authorization": f"Bearer {token}"}), db, settings) is None
