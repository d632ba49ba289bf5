"""Redis bus figures: publish -> deliver latency between two instances, subscribe time, recovery.

Starts a throwaway `redis-server` on a free port (or uses `--url`), connects two Redis buses
in this process (as two Earshot instances would), subscribes on one and publishes from the
other. Both buses share one clock, so each message carries its send time.

    .venv/bin/python bench/bus.py                  # 10,000 messages, paced and as fast as possible
    .venv/bin/python bench/bus.py --messages 2000 --rate 500
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from earshot.bus import RedisBus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int, directory: str) -> subprocess.Popen[bytes]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (scripts/install-system-deps.sh installs it)")
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.02)


def describe(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p = statistics.quantiles(ms, n=100)
    return f"{name:<28} n={len(ms):>6}  p50 {p[49]:6.2f} ms  p95 {p[94]:6.2f} ms  p99 {p[98]:6.2f} ms  max {ms[-1]:6.2f} ms"


async def latency(a: RedisBus, b: RedisBus, count: int, rate: float | None) -> tuple[list[float], float]:
    """Publish `count` messages from b (every 1/rate s, or back to back), timed on arrival at a."""
    arrived: list[float] = []
    async with a.subscribe("bench") as subscription:

        async def receive() -> None:
            async for text in subscription:
                arrived.append(time.perf_counter() - float(text.split(" ", 1)[0]))
                if len(arrived) == count:
                    return

        receiving = asyncio.ensure_future(receive())
        started = time.perf_counter()
        for i in range(count):
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            await b.publish("bench", f"{time.perf_counter()} {i:08d}")
        await asyncio.wait_for(receiving, 30)
        elapsed = time.perf_counter() - started
    return arrived, count / elapsed


async def subscribe_times(a: RedisBus, count: int) -> list[float]:
    """How long `subscribe` takes to yield: the SUBSCRIBE round trip to Redis."""
    times = []
    for i in range(count):
        started = time.perf_counter()
        async with a.subscribe(f"call:{i}"):
            times.append(time.perf_counter() - started)
    return times


async def recovery(port: int, a: RedisBus, b: RedisBus, server: subprocess.Popen[bytes], directory: str) -> float:
    """Kill Redis, start it again: seconds from its start to the first message flowing a <- b."""
    server.kill()
    server.wait()
    while a.linked:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.5)  # an outage of half a second
    restarted = start_redis(port, directory)
    started = time.perf_counter()
    while True:
        async with a.subscribe("after") as subscription:
            if subscription.ended is None:
                await b.publish("after", "back")
                async for _ in subscription:
                    break
                break
    elapsed = time.perf_counter() - started
    restarted.kill()
    restarted.wait()
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second in the paced run")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = start_redis(port, directory)
        url = f"redis://127.0.0.1:{port}/0"
        a, b = RedisBus(url), RedisBus(url)
        await a.connect()
        await b.connect()
        try:
            paced, _ = await latency(a, b, args.messages, args.rate)
            print(describe(f"paced, {args.rate:.0f} msg/s", paced))
            burst, throughput = await latency(a, b, args.messages, None)
            print(describe("back to back", burst) + f"  ({throughput:,.0f} msg/s)")
            print(describe("subscribe (confirmed)", await subscribe_times(a, 1000)))
            seconds = await recovery(port, a, b, server, directory)
            print(f"{'recovery after a restart':<28} {seconds * 1000:.0f} ms from redis-server start to a delivered message")
        finally:
            await a.disconnect()
            await b.disconnect()
            server.kill()
            server.wait()


if __name__ == "__main__":
    asyncio.run(main())
