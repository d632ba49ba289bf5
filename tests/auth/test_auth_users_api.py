"""The admin's user-management API: /api/users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from earshot.auth.models import User

LoginFn = Callable[..., Awaitable[httpx.Response]]
BearerFn = Callable[[str], Awaitable[dict[str, str]]]

NEW_USER = {"username": "blake", "display_name": "Blake Agent", "password": "blake-password", "role": "agent"}


@pytest.fixture
async def as_admin(bearer_for: BearerFn, staff: dict[str, User]) -> dict[str, str]:
    return await bearer_for("ada")


async def test_users_api_needs_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/users")).status_code == 401
    assert (await client.post("/api/users", json=NEW_USER)).status_code == 401


async def test_agent_is_forbidden_from_users_api(
    client: httpx.AsyncClient, bearer_for: BearerFn, staff: dict[str, User]
) -> None:
    headers = await bearer_for("alex")
    response = await client.get("/api/users", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "requires the admin role"}
    assert (await client.post("/api/users", json=NEW_USER, headers=headers)).status_code == 403


async def test_admin_lists_users(client: httpx.AsyncClient, as_admin: dict[str, str]) -> None:
    response = await client.get("/api/users", headers=as_admin)
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["ada", "alex", "gone"]


async def test_admin_creates_a_user_who_can_then_log_in(
    client: httpx.AsyncClient, as_admin: dict[str, str], login: LoginFn
) -> None:
    response = await client.post("/api/users", json=NEW_USER, headers=as_admin)
    assert response.status_code == 201
    created = response.json()
    assert created["username"] == "blake"
    assert created["role"] == "agent"
    assert created["is_active"] is True
    assert "password" not in created and "password_hash" not in created
    assert (await login("blake")).status_code == 200


async def test_duplicate_username_is_409(client: httpx.AsyncClient, as_admin: dict[str, str]) -> None:
    response = await client.post("/api/users", json={**NEW_USER, "username": "Alex"}, headers=as_admin)
    assert response.status_code == 409
    assert response.json() == {"detail": "username already taken"}


@pytest.mark.parametrize(
    "change",
    [
        {"role": "boss"},
        {"password": "short"},
        {"username": "no spaces allowed"},
        {"username": "ab"},
        {"display_name": ""},
    ],
)
async def test_invalid_new_user_is_422(
    client: httpx.AsyncClient, as_admin: dict[str, str], change: dict[str, str]
) -> None:
    response = await client.post("/api/users", json={**NEW_USER, **change}, headers=as_admin)
    assert response.status_code == 422


async def test_admin_changes_a_role_and_it_applies_at_once(
    client: httpx.AsyncClient, as_admin: dict[str, str], bearer_for: BearerFn, staff: dict[str, User]
) -> None:
    agent_id = staff["agent"].id
    response = await client.patch(f"/api/users/{agent_id}", json={"role": "admin"}, headers=as_admin)
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert response.json()["display_name"] == "Alex Agent"
    promoted = await bearer_for("alex")
    assert (await client.get("/api/users", headers=promoted)).status_code == 200


async def test_admin_disables_a_user_who_then_cannot_log_in(
    client: httpx.AsyncClient, as_admin: dict[str, str], login: LoginFn, staff: dict[str, User]
) -> None:
    response = await client.patch(f"/api/users/{staff['agent'].id}", json={"is_active": False}, headers=as_admin)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await login("alex")).status_code == 401


async def test_admin_resets_a_password(
    client: httpx.AsyncClient, as_admin: dict[str, str], login: LoginFn, staff: dict[str, User]
) -> None:
    url = f"/api/users/{staff['agent'].id}"
    response = await client.patch(url, json={"password": "fresh-password"}, headers=as_admin)
    assert response.status_code == 200
    assert (await login("alex", "fresh-password")).status_code == 200


async def test_patch_missing_user_is_404(client: httpx.AsyncClient, as_admin: dict[str, str]) -> None:
    response = await client.patch("/api/users/999", json={"display_name": "Nobody"}, headers=as_admin)
    assert response.status_code == 404


async def test_patch_with_short_password_is_422(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: dict[str, User]
) -> None:
    response = await client.patch(f"/api/users/{staff['agent'].id}", json={"password": "short"}, headers=as_admin)
    assert response.status_code == 422


async def test_admin_cannot_disable_self(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: dict[str, User]
) -> None:
    response = await client.patch(f"/api/users/{staff['admin'].id}", json={"is_active": False}, headers=as_admin)
    assert response.status_code == 409
    assert response.json() == {"detail": "you cannot disable your own account"}
    assert (await client.get("/api/auth/me", headers=as_admin)).status_code == 200


async def test_admin_cannot_demote_self(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: dict[str, User]
) -> None:
    response = await client.patch(f"/api/users/{staff['admin'].id}", json={"role": "supervisor"}, headers=as_admin)
    assert response.status_code == 409
    assert "admin role" in response.json()["detail"]


async def test_admin_can_rename_self(
    client: httpx.AsyncClient, as_admin: dict[str, str], staff: dict[str, User]
) -> None:
    body = {"display_name": "Ada L.", "role": "admin", "is_active": True}
    response = await client.patch(f"/api/users/{staff['admin'].id}", json=body, headers=as_admin)
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada L."
