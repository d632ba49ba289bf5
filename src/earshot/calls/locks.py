"""Locks of the call hub: one per party for its socket bookkeeping, and the database's own rule."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager


class KeyedLocks:
    """One asyncio lock per key, held only while someone uses it (no lock is kept for an idle key)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def state_change_lock(single_writer: bool) -> AbstractAsyncContextManager[object]:
    """What a state change of the hub holds: the whole process on SQLite, nothing on PostgreSQL.

    SQLite has one writer, so the process takes turns rather than have transactions wait on
    the file lock. On PostgreSQL the rows a change touches are locked in its transaction (a
    call's row before its agent's seat), which orders changes in one process exactly as it does
    between instances; a process-wide lock there only queued every accept, hang-up and wrap-up
    behind each other (seconds, at 100 calls on one instance).
    """
    return asyncio.Lock() if single_writer else contextlib.nullcontext()
