"""Background views rebuilt once for a burst of changes, and per-party locks that leave nothing behind."""

from __future__ import annotations

import asyncio

from earshot.calls.coalesce import Coalesced
from earshot.calls.locks import KeyedLocks


async def test_a_burst_of_requests_makes_one_run_after_the_first() -> None:
    runs: list[int] = []
    gate = asyncio.Event()

    async def rebuild() -> None:
        runs.append(len(runs))
        await gate.wait()

    views = Coalesced(rebuild, "views")
    views.request()
    await asyncio.sleep(0)  # the first run starts and waits at the gate
    for _ in range(50):
        views.request()  # changes while it runs: one more run covers them all
    gate.set()
    await views.settled()
    assert runs == [0, 1]


async def test_a_failed_run_is_logged_and_the_next_request_runs_again() -> None:
    attempts: list[str] = []

    async def rebuild() -> None:
        attempts.append("run")
        if len(attempts) == 1:
            raise RuntimeError("database away")

    views = Coalesced(rebuild, "views")
    views.request()
    await views.settled()
    views.request()
    await views.settled()
    assert attempts == ["run", "run"]


async def test_stop_cancels_a_run_in_progress() -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def rebuild() -> None:
        started.set()
        await never.wait()

    views = Coalesced(rebuild, "views")
    views.request()
    await started.wait()
    await asyncio.wait_for(views.stop(), 1)
    await views.settled()  # nothing left running


async def test_one_party_at_a_time_other_parties_at_once() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def use(key: str, name: str, hold: float) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(use("agent:1", "a", 0.05), use("agent:1", "b", 0), use("agent:2", "c", 0))
    assert order.index("a out") < order.index("b in"), "the same party waits its turn"
    assert order.index("c in") < order.index("a out"), "another party does not wait"
    assert len(locks) == 0, "no lock is kept for a party nobody is using"
