"""The bus tests' real `redis-server` (tests/redis_server.py), started fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, redis_executable


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    yield server
    server.kill()
