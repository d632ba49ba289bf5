"""Fixtures for the auth tests: a migrated SQLite database, and an app serving the auth router."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from earshot.auth.models import Role, User
from earshot.auth.routes import router
from earshot.auth.service import create_user
from earshot.auth.sockets import StaffSockets
from earshot.auth.throttle import create_login_throttle
from earshot.bus import MemoryBus
from earshot.config import Settings
from earshot.db import Database

MAX_FAILURES = 3
LOCKOUT_SECONDS = 60


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key="test-secret",
        login_max_failures=MAX_FAILURES,
        login_lockout_seconds=LOCKOUT_SECONDS,
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def staff(db: Database) -> dict[str, User]:
    """An admin, an agent and a disabled agent; each password is '<username>-password'."""
    async with db.sessions() as session:
        admin = await create_user(session, "ada", "Admin Ada", "ada-password", Role.admin)
        agent = await create_user(session, "alex", "Alex Agent", "alex-password", Role.agent)
        gone = await create_user(session, "gone", "Gone Agent", "gone-password", Role.agent)
        gone.is_active = False
        await session.commit()
    return {"admin": admin, "agent": agent, "disabled": gone}


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    # The auth router on a bare app rather than create_app(), whose other routers are written
    # elsewhere; ASGITransport skips the lifespan, so state is set here as the lifespan would.
    application = FastAPI()
    application.include_router(router)
    application.state.settings = settings
    application.state.db = db
    application.state.staff_sockets = StaffSockets(MemoryBus())
    application.state.login_throttle = create_login_throttle(settings)
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


LoginFn = Callable[..., Awaitable[httpx.Response]]
BearerFn = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def login(client: httpx.AsyncClient) -> LoginFn:
    """POST /api/auth/login; the password defaults to the staff fixture's '<username>-password'."""

    async def post_login(username: str, password: str | None = None) -> httpx.Response:
        body = {"username": username, "password": password or f"{username}-password"}
        return await client.post("/api/auth/login", json=body)

    return post_login


@pytest.fixture
def bearer_for(client: httpx.AsyncClient, login: LoginFn) -> BearerFn:
    """Log in, drop the cookie, and return headers that authenticate by token alone."""

    async def headers(username: str) -> dict[str, str]:
        response = await login(username)
        assert response.status_code == 200, response.text
        client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return headers
