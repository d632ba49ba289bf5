"""`earshot serve` started before PostgreSQL or Redis waits for them, says so, and then serves."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.cluster.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.cluster.harness import Instance, create_postgres_database, instance_env, prepare_database
from tests.harness import free_port
from tests.redis_server import RedisServer, redis_executable
from tests.tcp_proxy import TcpProxy


async def _wait_for_log(instance: Instance, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in instance.log():
        assert instance.process is not None and instance.process.poll() is None, instance.log()[-3000:]
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{instance.log()[-3000:]}"
        await asyncio.sleep(0.2)


async def test_an_instance_started_before_postgresql_and_redis_waits_and_then_serves(tmp_path: Path) -> None:
    require_postgres()
    database_url = await create_postgres_database(POSTGRES_ADMIN_URL)
    await prepare_database(database_url)
    database = TcpProxy(urlsplit(database_url).port or 5432)  # not started: PostgreSQL looks down
    via_proxy = database_url.replace(f":{urlsplit(database_url).port}/", f":{database.port}/")
    redis = RedisServer(redis_executable(), tmp_path)  # not started either
    env = {**instance_env(via_proxy, redis.url), "EARSHOT_STARTUP_WAIT_SECONDS": "90"}
    instance = Instance("early", tmp_path / "early", env)
    (tmp_path / "early").mkdir()
    instance.start()
    try:
        await _wait_for_log(instance, "the database (postgresql+asyncpg://")
        assert "is not reachable yet" in instance.log()
        await database.start()
        await _wait_for_log(instance, "the bus (Redis at 127.0.0.1:")
        await asyncio.to_thread(redis.start)
        await asyncio.to_thread(instance.wait_healthy, 60)
        log = instance.log()
        assert "the database (postgresql+asyncpg://" in log and "is reachable after" in log
        assert "Traceback" not in log
    finally:
        await asyncio.to_thread(instance.stop)
        await database.stop()
        redis.kill()


async def test_an_instance_gives_up_after_its_wait_with_the_reason(tmp_path: Path) -> None:
    require_postgres()
    nothing_there = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/earshot"
    env = {**instance_env(nothing_there, "memory://"), "EARSHOT_STARTUP_WAIT_SECONDS": "2"}
    instance = Instance("late", tmp_path / "late", env)
    (tmp_path / "late").mkdir()
    instance.start()
    assert instance.process is not None
    code = await asyncio.to_thread(instance.process.wait, 60)
    assert code != 0
    assert "was still unreachable after 2 s: giving up" in instance.log()
