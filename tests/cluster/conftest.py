"""Fixtures of the load-balancer tests: real nginx, real `earshot serve` processes, PostgreSQL, Redis.

Several instances need a database they can all reach, so these tests run on PostgreSQL only
(`scripts/with-postgres.sh` starts one): without it they are skipped, or fail when CI is set.

- `cluster_factory(n)`: n instances on a fresh database, nginx in front; stopped after the test.
- `cluster`: two instances, the test's own (for tests that change shared call state).
- `single` (one instance) and `pair` (two): shared by a module's tests, which leave them running.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.cluster.harness import Cluster, create_postgres_database, prepare_database, start_cluster
from tests.redis_server import RedisServer, redis_executable

ClusterFactory = Callable[[int], Awaitable[Cluster]]
POSTGRES_ADMIN_URL = os.environ.get("EARSHOT_TEST_POSTGRES_URL", "")


def require_postgres() -> None:
    if POSTGRES_ADMIN_URL:
        return
    reason = "the load-balancer tests need PostgreSQL: run them under scripts/with-postgres.sh"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but EARSHOT_TEST_POSTGRES_URL is not: {reason}")
    pytest.skip(f"EARSHOT_TEST_POSTGRES_URL is not set; {reason}")


@asynccontextmanager
async def _clusters(directory: Path) -> AsyncIterator[ClusterFactory]:
    """Start clusters on demand, each on a fresh database and all on one Redis; stop them all at the end."""
    require_postgres()
    redis = RedisServer(redis_executable(), directory)
    redis.start()
    started: list[Cluster] = []

    async def start(instances: int) -> Cluster:
        database_url = await create_postgres_database(POSTGRES_ADMIN_URL)
        await prepare_database(database_url)
        folder = directory / f"cluster{len(started) + 1}"
        cluster = await asyncio.to_thread(start_cluster, database_url, redis, folder, instances)
        started.append(cluster)
        return cluster

    try:
        yield start
    finally:
        for cluster in started:
            await asyncio.to_thread(cluster.stop)
        redis.kill()


@pytest.fixture
async def cluster_factory(tmp_path: Path) -> AsyncIterator[ClusterFactory]:
    """`await cluster_factory(n)`: n instances behind nginx, for this test alone."""
    async with _clusters(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
async def module_cluster_factory(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ClusterFactory]:
    """As `cluster_factory`, for clusters a whole module shares (each start costs seconds)."""
    async with _clusters(tmp_path_factory.mktemp("clusters")) as start:
        yield start


@pytest.fixture
async def cluster(cluster_factory: ClusterFactory) -> Cluster:
    """Two instances behind nginx, sharing a PostgreSQL database and a Redis bus; this test's own."""
    return await cluster_factory(2)


@pytest.fixture(scope="module")
async def single(module_cluster_factory: ClusterFactory) -> Cluster:
    """One instance behind nginx, shared by the module's tests: a test that kills it restarts it."""
    return await module_cluster_factory(1)


@pytest.fixture(scope="module")
async def pair(module_cluster_factory: ClusterFactory) -> Cluster:
    """Two instances behind nginx, shared by the module's tests: a test that kills one restarts it."""
    return await module_cluster_factory(2)
