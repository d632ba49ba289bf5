"""Shared fixtures: a real Earshot server on a free port, over SQLite or PostgreSQL.

PostgreSQL runs when `EARSHOT_TEST_POSTGRES_URL` points at a server (the test command starts
one when CI is set); every server fixture then gets a database of its own.

Migrating a database and hashing the demo staff's passwords (Argon2, by design slow) took
seconds per test; each test process does both once, into template databases, and every test
gets a copy of a template instead (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on
PostgreSQL). The copy is what migrating and seeding would have made; the server still runs its
own migration at start, as it always does, and finds the schema current.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.app import create_app
from earshot.auth.demo import seed_demo_users
from earshot.customers.demo import seed_demo_customers
from earshot.config import Settings
from earshot.db import Database
from tests.harness import RunningServer, free_port
from tests.redis_server import RedisServer, redis_executable

# Argon2 at its production cost took ~0.2 s of a core per login (more on a loaded machine), and
# the suite logs in thousands of times: tests hash cheaply. Servers started as processes inherit it.
os.environ.setdefault("EARSHOT_PASSWORD_HASH_MEMORY_KIB", "64")
os.environ.setdefault("EARSHOT_PASSWORD_HASH_TIME_COST", "1")

POSTGRES_ADMIN_URL = os.environ.get("EARSHOT_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_ADMIN_URL else ["sqlite"]



def _admin_dsn() -> str:
    return POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")


def _postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _create_postgres_database(template: str | None = None) -> str:
    """A new database (a copy of `template` if given); returns its name."""
    import asyncpg

    name = f"earshot_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return name


Seeder = Callable[[AsyncSession], Awaitable[int]]
DEMO_STAFF: tuple[Seeder, ...] = (seed_demo_users,)
DEMO_STAFF_AND_CUSTOMERS: tuple[Seeder, ...] = (seed_demo_users, seed_demo_customers)


async def _migrate_and_seed(url: str, seeders: tuple[Seeder, ...]) -> None:
    db = Database(url)
    try:
        await db.migrate()
        for seed in seeders:
            async with db.sessions() as session:
                await seed(session)
                await session.commit()
    finally:
        await db.close()  # no connection may stay open on a file to copy or a PostgreSQL template


class DatabaseTemplates:
    """Migrated databases, each seeded by some seeders (or none), made once per test process and
    copied into each test's still empty database. Under pytest-xdist every worker makes its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: dict[tuple[Seeder, ...], Path] = {}  # seeders -> migrated and seeded file
        self._postgres: dict[tuple[Seeder, ...], str] = {}  # seeders -> template database's name

    async def fill(self, url: str, seeders: tuple[Seeder, ...] = ()) -> bool:
        """Make the empty database at `url` a migrated one, seeded by `seeders` in their order.

        Returns False, touching nothing, when the database is not empty any more (a fixture put
        something there first): the caller then migrates and seeds it in place, as before.
        """
        if url.startswith("sqlite"):
            return await self._fill_sqlite(Path(url.split(":///", 1)[1]), seeders)
        return await self._fill_postgres(url.rsplit("/", 1)[1], seeders)

    async def _fill_sqlite(self, path: Path, seeders: tuple[Seeder, ...]) -> bool:
        if path.exists() and path.stat().st_size > 0:
            return False
        if seeders not in self._sqlite:
            template = self.folder / f"template-{len(self._sqlite)}.db"
            await _migrate_and_seed(f"sqlite+aiosqlite:///{template}", seeders)
            self._sqlite[seeders] = template
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._sqlite[seeders], path)
        return True

    async def _fill_postgres(self, name: str, seeders: tuple[Seeder, ...]) -> bool:
        import asyncpg

        conn = await asyncpg.connect(_admin_dsn())
        try:
            in_use = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name)
            if in_use:
                return False
            if seeders not in self._postgres:
                template = await _create_postgres_database()
                await _migrate_and_seed(_postgres_url(template), seeders)
                self._postgres[seeders] = template
            if not await self._postgres_is_empty(name):
                return False
            # The test's database was made empty by `database_url`; it becomes a copy of the template.
            await conn.execute(f'DROP DATABASE "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._postgres[seeders]}"')
        finally:
            await conn.close()
        return True

    @staticmethod
    async def _postgres_is_empty(name: str) -> bool:
        import asyncpg

        conn = await asyncpg.connect(_admin_dsn().rsplit("/", 1)[0] + f"/{name}")
        try:
            tables = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
        finally:
            await conn.close()
        return tables == 0


# Modules that stream real speech through the real model and wait on its partials and finals:
# `make test-python` (pytest-xdist, --dist loadgroup) runs them all on one worker, so two of them
# never compete with each other for the CPU that their deadlines assume.
REAL_TIME_SPEECH_MODULES = {
    "test_assist_live.py",
    "test_assist_redact_live.py",
    "test_live_transcription.py",
    "test_rate_limits.py",
    "test_real_speech.py",
    "test_speculative_final.py",
    "test_streaming_agreement.py",
    "test_transcription_accuracy.py",
    "test_transcription_engine.py",
    "test_transcription_filters.py",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in REAL_TIME_SPEECH_MODULES:
            item.add_marker(pytest.mark.xdist_group("real-time-speech"))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real `redis-server` of this test's own (tests/redis_server.py)."""
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> DatabaseTemplates:
    return DatabaseTemplates(tmp_path_factory.mktemp("database-templates"))


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/earshot.db"
    return _postgres_url(await _create_postgres_database())


@pytest.fixture
async def database(database_url: str, database_templates: DatabaseTemplates) -> AsyncIterator[Database]:
    """The test's database, migrated."""
    if not await database_templates.fill(database_url):
        await _migrate_and_seed(database_url, ())
    db = Database(database_url)
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
async def server(
    request: pytest.FixtureRequest, server_settings: Settings, database_templates: DatabaseTemplates
) -> AsyncIterator[RunningServer]:
    """A real server on its own database, migrated and with the demo staff in it."""
    url = server_settings.resolved_database_url
    # A test that asks for `shop` gets the demo customers too: its copy has them from the start
    # (the server reads customers per request, so before or after its start is all one to it).
    seeders = DEMO_STAFF_AND_CUSTOMERS if "shop" in request.fixturenames else DEMO_STAFF
    if not await database_templates.fill(url, seeders):
        await _migrate_and_seed(url, seeders)
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
    """The running server with the demo customers in its database too (as `server` has the demo users).

    `server` copied them in already from a template; seeding adds none then, and still would if not.
    """
    db = Database(server.database_url)
    async with db.sessions() as session:
        await seed_demo_customers(session)
        await session.commit()
    await db.close()
    return server
