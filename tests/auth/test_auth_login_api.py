"""POST /api/auth/login, /logout and GET /me over HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from earshot.auth.models import User
from earshot.auth.security import SESSION_COOKIE
from earshot.config import Settings
from earshot.db import Database

LoginFn = Callable[..., Awaitable[httpx.Response]]
BearerFn = Callable[[str], Awaitable[dict[str, str]]]
MAX_FAILURES = 3  # as configured in conftest's settings


async def test_login_returns_token_and_sets_httponly_cookie(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User], settings: Settings
) -> None:
    response = await login("Alex", "alex-password")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "alex"
    assert body["user"]["role"] == "agent"
    assert "password_hash" not in body["user"]
    assert body["token"] and body["expires_at"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={body['token']}")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert f"Max-Age={settings.token_ttl_minutes * 60}" in cookie
    assert "Secure" not in cookie


async def test_cookie_alone_authenticates(client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]) -> None:
    await login("alex")
    response = await client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alex"


async def test_bearer_token_alone_authenticates(
    client: httpx.AsyncClient, bearer_for: BearerFn, staff: dict[str, User]
) -> None:
    headers = await bearer_for("alex")
    assert not client.cookies
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["display_name"] == "Alex Agent"


async def test_me_without_login_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "not logged in"}
    assert response.headers["www-authenticate"] == "Bearer"


async def test_forged_token_is_401(client: httpx.AsyncClient, staff: dict[str, User]) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    wrong = await login("alex", "wrong-password")
    unknown = await login("nobody", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid username or password"}
    assert "set-cookie" not in wrong.headers


async def test_disabled_user_cannot_log_in(login: LoginFn, staff: dict[str, User]) -> None:
    response = await login("gone")
    assert response.status_code == 401


async def test_disabled_user_token_stops_working(
    client: httpx.AsyncClient, bearer_for: BearerFn, staff: dict[str, User], db: Database
) -> None:
    headers = await bearer_for("alex")
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    async with db.sessions() as session:
        user = await session.get(User, staff["agent"].id)
        assert user is not None
        user.is_active = False
        await session.commit()
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_logout_clears_the_cookie(client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]) -> None:
    await login("alex")
    response = await client.post("/api/auth/logout")
    assert response.status_code == 204
    assert response.headers["set-cookie"].startswith(f'{SESSION_COOKIE}=""')
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_repeated_failures_lock_login_even_with_the_right_password(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    for _ in range(MAX_FAILURES):
        assert (await login("alex", "wrong-password")).status_code == 401
    locked = await login("alex")
    assert locked.status_code == 429
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 60
    assert f"{retry_after} seconds" in locked.json()["detail"]
    assert (await login("ada")).status_code == 200


async def test_successful_login_resets_the_failure_count(login: LoginFn, staff: dict[str, User]) -> None:
    for _ in range(MAX_FAILURES - 1):
        await login("alex", "wrong-password")
    assert (await login("alex")).status_code == 200
    for _ in range(MAX_FAILURES - 1):
        await login("alex", "wrong-password")
    assert (await login("alex")).status_code == 200
