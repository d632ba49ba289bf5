"""Shared fixtures: a real Earshot server on a free port, over SQLite or PostgreSQL.

PostgreSQL runs when `EARSHOT_TEST_POSTGRES_URL` points at a server (the test command starts
one when CI is set); every server fixture then gets a database of its own.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from earshot.app import create_app
from earshot.auth.demo import seed_demo_users
from earshot.customers.demo import seed_demo_customers
from earshot.config import Settings
from earshot.db import Database
from tests.harness import RunningServer, free_port

POSTGRES_ADMIN_URL = os.environ.get("EARSHOT_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_ADMIN_URL else ["sqlite"]



async def _create_postgres_database() -> str:
    import asyncpg

    name = f"earshot_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/earshot.db"
    return await _create_postgres_database()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await db.migrate()
    yield db
    await db.close()


class _ServerThread(threading.Thread):
    def __init__(self, server: uvicorn.Server) -> None:
        super().__init__(daemon=True)
        self.server = server

    def run(self) -> None:
        self.server.run()


def _serve(settings: Settings) -> tuple[uvicorn.Server, _ServerThread]:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        ws_max_size=settings.ws_max_frame_bytes,
        proxy_headers=False,  # as `earshot serve` runs it: forwarded headers are the app's to judge
    )
    server = uvicorn.Server(config)
    thread = _ServerThread(server)
    thread.start()
    deadline = time.monotonic() + 60  # a start-up on a loaded 2-core machine can take a while
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def server_settings(tmp_path: Path, database_url: str) -> Settings:
    """Short timers so lifecycle tests run in seconds; tests may change fields before `server`."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        port=free_port(),
        offer_timeout_seconds=2.0,
        reconnect_grace_seconds=1.5,
        telephony_allow_loopback=True,  # the tests play the phone gateway, on this machine
        # A loaded test machine must not turn into busy answers or shed assist in tests that are
        # not about overload (those set their own thresholds).
        busy_loop_lag_ms=60_000.0,
        assist_shed_loop_lag_ms=60_000.0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def server(server_settings: Settings) -> AsyncIterator[RunningServer]:
    db = Database(server_settings.resolved_database_url)
    await db.migrate()
    async with db.sessions() as session:
        await seed_demo_users(session)
        await session.commit()
    await db.close()
    uv_server, thread = await asyncio.to_thread(_serve, server_settings)
    running = RunningServer(f"http://127.0.0.1:{server_settings.port}", server_settings, server_settings.resolved_database_url)
    try:
        yield running
        # Every WebSocket test also checks that the server refused nothing it did not mean to.
        await asyncio.gather(*(client.drain() for client in running.clients))
        for client in running.clients:
            client.check()
    finally:
        for client in running.clients:
            await client.close()
        uv_server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


@pytest.fixture
async def shop(server: RunningServer) -> RunningServer:
    """The running server with the demo customers in its database too (as `server` has the demo users)."""
    db = Database(server.database_url)
    async with db.sessions() as session:
        await seed_demo_customers(session)
        await session.commit()
    await db.close()
    return server
