"""`earshot replay`: the timeline from the log, the same bytes every run, at the original pace or at once."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from earshot.db import Database
from earshot.sessions.replay import play
from tests.sessions.calllog import LATE_PARCEL, earshot_cli, store

CALL_ID = "r" * 32


async def _seed(data_dir: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{data_dir}/earshot.db")
    await db.migrate()
    async with db.sessions() as session:
        await store(session, LATE_PARCEL, call_id=CALL_ID)
        await session.commit()
    await db.close()


async def test_replay_json_is_the_log_line_by_line_and_the_same_bytes_every_run(tmp_path: Path) -> None:
    await _seed(tmp_path)
    first = earshot_cli(["replay", CALL_ID, "--json", "--speed", "0"], tmp_path)
    second = earshot_cli(["replay", CALL_ID, "--json", "--speed", "0"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    events = [json.loads(line) for line in first.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(LATE_PARCEL) + 1))
    assert [e["type"] for e in events] == [kind for _, kind, _ in LATE_PARCEL]


async def test_replay_prints_a_readable_timeline_and_refuses_an_unknown_call(tmp_path: Path) -> None:
    await _seed(tmp_path)
    text = earshot_cli(["replay", CALL_ID, "--speed", "0"], tmp_path)
    lines = text.stdout.splitlines()
    assert lines[0] == "00:00.000 #1 call_queued"
    assert "00:10.600 #4 transcript customer: My order 20417 is two weeks late and I am furious." in lines
    assert lines[-1] == "00:30.000 #13 call_ended hangup by agent"
    missing = earshot_cli(["replay", "nosuchcall", "--speed", "0"], tmp_path)
    assert missing.returncode == 1 and "no call nosuchcall" in missing.stderr


async def test_replay_keeps_the_original_timing_scaled_by_speed() -> None:
    printed: list[tuple[float, str]] = []
    start = time.monotonic()
    await play([(1000, "a"), (1000, "b"), (1300, "c"), (1600, "d")], 2.0, lambda line: printed.append((time.monotonic() - start, line)))
    assert [line for _, line in printed] == ["a", "b", "c", "d"]
    gaps = [round(b[0] - a[0], 2) for a, b in zip(printed, printed[1:])]
    assert gaps[0] < 0.05 and all(0.13 <= gap <= 0.25 for gap in gaps[1:]), gaps  # 300 ms at speed 2


async def test_speed_zero_prints_everything_at_once() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    printed: list[str] = []
    await play([(0, "a"), (60_000, "b")], 0, printed.append, sleep)
    assert printed == ["a", "b"] and slept == []
