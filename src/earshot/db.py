"""Database engine, sessions, the declarative base and migrations at start."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Coroutine
from functools import partial
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from fastapi import Depends, Request
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UNREACHABLE_MESSAGE = "the database is unreachable; try again shortly"


def unreachable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached now (down, restarting, cut off), not a bad request.

    Refused or reset connections surface as `ConnectionError`, a connection lost mid-statement
    as an invalidated `DBAPIError` or the driver's `InterfaceError`, a pool with no connection
    to give within its timeout as `sqlalchemy.exc.TimeoutError`.
    """
    if isinstance(error, ConnectionError | PoolTimeout | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Base(DeclarativeBase):
    pass


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str, busy_timeout_seconds: float = 5.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.busy_timeout_seconds = busy_timeout_seconds
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": busy_timeout_seconds}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            busy_ms = int(busy_timeout_seconds * 1000)
            event.listen(self.engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_ms))
            event.listen(self.engine.sync_engine, "close", _sqlite_end_transaction)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        if self.is_sqlite:
            path = self.url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_to_head)

    async def writable(self, timeout: float = 2.0) -> str:
        """`ok` when a write could start now; otherwise why not (`locked`, `read_only`, `timeout`, `down`).

        The probe is never cancelled mid-statement (see `run_to_completion`): past `timeout`
        it is left to finish on its own and the answer is `timeout`.
        """
        probe = asyncio.ensure_future(self._write_probe(timeout))
        done, _ = await asyncio.wait([probe], timeout=timeout + 1)
        if not done:
            probe.add_done_callback(_swallow)
            return "timeout"
        try:
            return probe.result()
        except Exception as error:  # the health endpoint reports any failure, it does not crash
            if unreachable(error):
                log.warning("database write probe failed: %s", error)
            else:
                log.exception("database write probe failed")
            return "down"

    async def _write_probe(self, timeout: float) -> str:
        path = self.engine.url.database
        if self.is_sqlite and path and path != ":memory:":
            # Its own connection, so a write lock held by any pooled one (or another process) shows.
            return await asyncio.to_thread(_sqlite_write_probe, path, timeout)
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.exec_driver_sql("SELECT 1")
                return "ok"
            await conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            read_only = await conn.scalar(
                text("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")
            )
            return "read_only" if read_only else "ok"

    async def close(self) -> None:
        await self.engine.dispose()


async def run_to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Run a unit of work to its end (commit or rollback) even if the caller is cancelled meanwhile.

    A cancellation that lands while a driver call is in flight makes SQLAlchemy throw the
    connection away mid-statement. On SQLite a half-read `UPDATE ... RETURNING` then keeps the
    database's write lock until the garbage collector frees its cursor, minutes later. So the
    work runs as a task of its own: a cancelled caller waits for it to finish, then is cancelled.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            log.error("unit of work failed after its caller was cancelled", exc_info=task.exception())
        raise


def _swallow(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("late database probe failed: %s", task.exception())


def _sqlite_write_probe(path: str, timeout: float) -> str:
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return "ok"
    except sqlite3.OperationalError as error:
        message = str(error).lower()
        if "locked" in message or "busy" in message:
            return "locked"
        if "readonly" in message or "read-only" in message:
            return "read_only"
        raise
    finally:
        conn.close()


def _sqlite_end_transaction(dbapi_conn: Any, _record: Any) -> None:
    """Roll back before a connection is thrown away (e.g. invalidated by a cancellation).

    Closing a SQLite connection whose statement is still open (a half-read `UPDATE ... RETURNING`)
    only defers the close until that statement is freed, and its write lock stays held till then.
    A rollback ends the transaction now, whatever still refers to the statement.
    """
    try:
        dbapi_conn.rollback()
    except Exception as error:  # already closed, or no event loop to run it on (garbage collection)
        log.debug("rollback before closing a SQLite connection failed: %s", error)


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode this stays consistent after any crash (only a power cut can undo the last
    # commits), and a commit no longer waits for an fsync.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A bounded wait: a stuck writer shows as failing writes (and an unhealthy /api/health) in
    # seconds, not as every request hanging.
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade_to_head(sync_conn: Any) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]
