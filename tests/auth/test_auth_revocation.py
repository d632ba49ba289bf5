"""Tokens end before they expire: logging out, changing a password, an admin reset or disable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from earshot.auth.models import User

LoginFn = Callable[..., Awaitable[httpx.Response]]


async def _token(login: LoginFn, username: str, password: str | None = None) -> str:
    response = await login(username, password)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _me(client: httpx.AsyncClient, token: str) -> int:
    client.cookies.clear()
    return (await client.get("/api/auth/me", headers=_bearer(token))).status_code


async def test_logout_revokes_the_bearer_token_not_only_the_cookie(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    token = await _token(login, "alex")
    assert await _me(client, token) == 200
    client.cookies.clear()
    assert (await client.post("/api/auth/logout", headers=_bearer(token))).status_code == 204
    assert await _me(client, token) == 401


async def test_logout_by_cookie_revokes_the_token_inside_it(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    token = await _token(login, "alex")  # the client now holds the cookie too
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert await _me(client, token) == 401


async def test_logout_ends_only_that_login(client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]) -> None:
    laptop, phone = await _token(login, "alex"), await _token(login, "alex")
    client.cookies.clear()
    await client.post("/api/auth/logout", headers=_bearer(laptop))
    assert await _me(client, laptop) == 401
    assert await _me(client, phone) == 200


async def test_password_change_revokes_every_earlier_token(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    stolen, mine = await _token(login, "alex"), await _token(login, "alex")
    client.cookies.clear()
    response = await client.post(
        "/api/auth/password",
        headers=_bearer(mine),
        json={"current_password": "alex-password", "new_password": "a-new-long-password"},
    )
    assert response.status_code == 200, response.text
    fresh = response.json()["token"]
    assert await _me(client, stolen) == 401
    assert await _me(client, mine) == 401
    assert await _me(client, fresh) == 200
    assert (await login("alex", "alex-password")).status_code == 401
    assert (await login("alex", "a-new-long-password")).status_code == 200


async def test_password_change_needs_the_current_password(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    token = await _token(login, "alex")
    client.cookies.clear()
    response = await client.post(
        "/api/auth/password",
        headers=_bearer(token),
        json={"current_password": "a-guess", "new_password": "a-new-long-password"},
    )
    assert response.status_code == 403
    assert await _me(client, token) == 200


async def test_admin_password_reset_revokes_the_users_tokens(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    agent, admin = await _token(login, "alex"), await _token(login, "ada")
    client.cookies.clear()
    response = await client.patch(
        f"/api/users/{staff['agent'].id}", headers=_bearer(admin), json={"password": "reset-by-admin"}
    )
    assert response.status_code == 200
    assert await _me(client, agent) == 401
    assert await _me(client, admin) == 200


async def test_a_disabled_then_re_enabled_user_has_to_log_in_again(
    client: httpx.AsyncClient, login: LoginFn, staff: dict[str, User]
) -> None:
    agent, admin = await _token(login, "alex"), await _token(login, "ada")
    client.cookies.clear()
    for active in (False, True):
        response = await client.patch(
            f"/api/users/{staff['agent'].id}", headers=_bearer(admin), json={"is_active": active}
        )
        assert response.status_code == 200
    assert await _me(client, agent) == 401
    assert await _me(client, await _token(login, "alex")) == 200
