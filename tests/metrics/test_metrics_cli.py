"""`earshot metrics rebuild` and `earshot report`: the same figures as the API, from the command line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import delete

from earshot.db import Database
from earshot.metrics.facts import count_call_facts
from earshot.metrics.models import CallFactsRow
from tests.metrics.calllog import T0, add_call, ended, queued, started, wrapped


def _earshot(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir), "EARSHOT_DATABASE_URL": ""}
    return subprocess.run([sys.executable, "-m", "earshot", *args], env=env, capture_output=True, text=True, timeout=60)


async def _seed(data_dir: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{data_dir / 'earshot.db'}")
    await db.migrate()
    async with db.sessions() as session:
        await add_call(session, [queued(), started(8, 1), ended(68), wrapped(78, "resolved")])
        await add_call(session, [queued(), ended(30, "abandoned")])
        await session.execute(delete(CallFactsRow))
        await session.commit()
    return db


async def test_rebuild_derives_the_facts_of_every_ended_call_from_the_log(tmp_path: Path) -> None:
    db = await _seed(tmp_path)
    result = _earshot(["metrics", "rebuild"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 calls"
    async with db.sessions() as session:
        assert await count_call_facts(session) == 2
    await db.close()


async def test_report_writes_a_workbook_and_csv_files(tmp_path: Path) -> None:
    await (await _seed(tmp_path)).close()
    assert _earshot(["metrics", "rebuild"], tmp_path).returncode == 0
    day = T0.date().isoformat()
    xlsx = _earshot(["report", "--from", day, "--to", day, "--out", str(tmp_path / "r.xlsx")], tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    header, values = list(load_workbook(tmp_path / "r.xlsx")["Summary"].iter_rows(values_only=True))
    assert dict(zip(header, values, strict=True))["abandonment_rate"] == 0.5
    out = tmp_path / "csv"
    result = _earshot(["report", "--from", day, "--format", "csv", "--out", str(out), "--interval", "hour"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["agents.csv", "reasons.csv", "summary.csv", "timeseries.csv"]
    [summary] = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert (summary["calls_handled"], summary["average_handle_time_s"], summary["service_level"]) == ("1", "70.0", "0.5")


def test_report_refuses_a_bad_period(tmp_path: Path) -> None:
    result = _earshot(["report", "--from", "2026-11-05", "--to", "2026-11-01"], tmp_path)
    assert result.returncode == 2 and "error" in result.stderr
