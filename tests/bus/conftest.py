"""The bus tests' real `redis-server`: the `redis_server` fixture lives in tests/conftest.py, shared with other tests."""

from __future__ import annotations

from tests.redis_server import RedisServer, redis_executable

__all__ = ["RedisServer", "redis_executable"]
