"""Load: N calls through a real nginx in front of 1-3 `earshot serve` instances on PostgreSQL and Redis.

Each call is a customer socket and an agent socket (one agent per call), and supervisors each
watch a share of the calls. Customers chat every 2 s and agents answer every second line; the
first `--speech-legs` callers also stream real speech (../shared/speech-real) in real time. After
`--call-seconds` the customer hangs up, the agent wraps up and takes the next caller, and a new
customer calls in, so N calls stay live. `--kill-one-at S` kills the first instance with SIGKILL
S seconds in: its parties reconnect through nginx to the others and resume from the event log.

Printed (one JSON object): delivery p50/p95/max in ms (customer to agent, agent to customer, to
the supervisor), chats per second, errors, sockets the server closed, reconnect gaps, the check
against the database (lost and duplicated events, see bench/loadgen/check.py), and for each
instance its memory (RSS of the server and its workers at start, middle and end) and CPU.

    scripts/with-postgres.sh python bench/load.py --instances 2 --calls 100 --seconds 300
    python bench/load.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        --instances 3 --speech-legs 6 --kill-one-at 150

PostgreSQL: `--postgres URL`, else EARSHOT_TEST_POSTGRES_URL (scripts/with-postgres.sh sets it);
each run gets a fresh database there. nginx and redis-server come from Debian
(scripts/install-system-deps.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` and `tests` as packages

from bench.loadgen.check import check_log, read_events, summary  # noqa: E402
from bench.loadgen.parties import speech_frames  # noqa: E402
from bench.loadgen.run import Plan, run_load, seed_accounts  # noqa: E402
from tests.cluster.harness import (  # noqa: E402
    Cluster,
    create_postgres_database,
    find_nginx,
    instance_env,
    prepare_database,
    start_cluster,
)
from tests.harness import SHARED  # noqa: E402
from tests.redis_server import RedisServer, find_redis  # noqa: E402

# The bench's clients all come from 127.0.0.1 (nginx): only the overall call budgets apply.
BENCH_ENV = {
    "EARSHOT_CALL_START_BURST_PER_ADDRESS": "100000",
    "EARSHOT_CALL_STARTS_PER_MINUTE_PER_ADDRESS": "100000",
    "EARSHOT_LOG_LEVEL": "WARNING",
}
START_SECONDS = 600.0  # three instances loading their models at once on a busy machine are slow
# instance_env relaxes these for tests that are not about load; the bench keeps the product's.
TEST_ONLY = ("EARSHOT_BUSY_LOOP_LAG_MS", "EARSHOT_ASSIST_SHED_LOOP_LAG_MS")


def bench_env(database_url: str, bus_url: str) -> dict[str, str]:
    env = {**instance_env(database_url, bus_url), **BENCH_ENV}
    for name in TEST_ONLY:
        env.pop(name)
    return env


async def start(admin_url: str, plan: Plan, instances: int, folder: Path) -> tuple[Cluster, RedisServer]:
    nginx, redis_server = find_nginx(), find_redis()
    if nginx is None or redis_server is None:
        raise SystemExit("nginx and redis-server are needed (scripts/install-system-deps.sh installs them)")
    database_url = await create_postgres_database(admin_url)
    await prepare_database(database_url)
    await seed_accounts(database_url, plan.calls, plan.supervisors)
    redis = RedisServer(redis_server, folder)
    redis.start()
    env = bench_env(database_url, redis.url)
    try:
        cluster = await asyncio.to_thread(start_cluster, database_url, redis, folder, instances, env, nginx, START_SECONDS)
    except BaseException:
        redis.kill()
        raise
    return cluster, redis


async def measure(admin_url: str, plan: Plan, instances: int, speech_dir: Path, folder: Path) -> dict[str, object]:
    """One run: start the cluster, drive the load, stop it, check the log; the summary."""
    speech = speech_frames(speech_dir) if plan.speech_legs else None
    cluster, redis = await start(admin_url, plan, instances, folder)
    try:
        outcome = await run_load(cluster, plan, speech)
    finally:
        await asyncio.to_thread(cluster.stop)
        redis.kill()
    log = check_log(await read_events(cluster.database_url), outcome.tally)
    return summary(outcome, log, instances)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls (agents); two parties each")
    parser.add_argument("--seconds", type=float, default=300.0, help="how long callers keep calling")
    parser.add_argument("--call-seconds", type=float, default=30.0, help="each call's length before the hang-up")
    parser.add_argument("--speech-legs", type=int, default=0, help="callers who also stream real speech in real time")
    parser.add_argument("--supervisors", type=int, default=4, help="supervisors, each watching a share of the calls")
    parser.add_argument("--kill-one-at", type=float, default=None, metavar="SECONDS",
                        help="kill -9 the first instance this many seconds in (needs --instances 2 or 3)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("EARSHOT_TEST_POSTGRES_URL"),
                        help="PostgreSQL server (postgresql+asyncpg://user@host:port/db); default EARSHOT_TEST_POSTGRES_URL")
    parser.add_argument("--speech-dir", type=Path, default=SHARED / "speech-real" / "audio")
    args = parser.parse_args()
    if not args.postgres:
        parser.error("no PostgreSQL: pass --postgres URL or run under scripts/with-postgres.sh")
    if args.kill_one_at is not None and (args.instances < 2 or not 0 < args.kill_one_at < args.seconds):
        parser.error("--kill-one-at needs --instances 2 or 3 and a time within --seconds")
    plan = Plan(args.calls, args.seconds, args.call_seconds, args.speech_legs, max(1, args.supervisors), args.kill_one_at)
    folder = Path(tempfile.mkdtemp(prefix="earshot-load-"))
    print(f"instance logs under {folder}", file=sys.stderr)
    print(json.dumps(asyncio.run(measure(args.postgres, plan, args.instances, args.speech_dir, folder))), flush=True)


if __name__ == "__main__":
    main()
