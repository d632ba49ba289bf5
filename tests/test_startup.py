"""Waiting at start for what the server needs: retries with backoff for outages, nothing else."""

from __future__ import annotations

import logging

import pytest

from earshot.startup import when_reachable


def _outage(error: BaseException) -> bool:
    return isinstance(error, ConnectionError)


async def test_an_outage_is_tried_again_until_it_is_over(caplog: pytest.LogCaptureFixture) -> None:
    attempts = 0

    async def connect() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionRefusedError("connection refused")
        return "connected"

    with caplog.at_level(logging.INFO, logger="earshot.startup"):
        assert await when_reachable("the database (db:5432)", connect, 10, _outage) == "connected"
    assert attempts == 3
    waits = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(waits) == 2 and all("the database (db:5432) is not reachable yet" in m for m in waits)


async def test_another_error_is_raised_at_once() -> None:
    attempts = 0

    async def connect() -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("password authentication failed")

    with pytest.raises(ValueError, match="password"):
        await when_reachable("the database", connect, 10, _outage)
    assert attempts == 1


async def test_the_outage_is_raised_once_patience_runs_out(caplog: pytest.LogCaptureFixture) -> None:
    async def connect() -> None:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(ConnectionRefusedError):
        await when_reachable("the bus (Redis at cache:6379)", connect, 0.6, _outage)
    assert any("still unreachable after 1 s: giving up" in r.getMessage() for r in caplog.records)
