"""The metrics commands behind `earshot report` and `earshot metrics rebuild`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from earshot.config import Settings
from earshot.db import Database
from earshot.metrics import queries
from earshot.metrics.export import report_tables, to_csv, to_xlsx
from earshot.metrics.facts import rebuild_call_facts
from earshot.metrics.presence import rebuild_agent_time
from earshot.metrics.queries import Filters

Progress = Callable[[str, int, int], None]  # (what, done, total)


async def rebuild(settings: Settings, progress: Progress) -> int:
    db = Database(settings.resolved_database_url)
    try:
        await db.migrate()
        calls = await rebuild_call_facts(db, lambda done, total: progress("call facts", done, total))
        progress("agent time", 0, 1)
        await rebuild_agent_time(db)
        return calls
    finally:
        await db.close()


def default_out(first: date, last: date, fmt: str) -> Path:
    stem = f"earshot-report-{first}-{last}"
    return Path(f"{stem}.xlsx" if fmt == "xlsx" else stem)


async def write_report(
    settings: Settings, filters: Filters, interval: str, fmt: str, out: Path, progress: Progress
) -> list[Path]:
    """Compute the period's report and write it: one workbook, or one CSV per table in the folder `out`."""
    db = Database(settings.resolved_database_url)
    seconds = settings.service_level_seconds
    steps = 5
    try:
        await db.migrate()
        async with db.sessions() as session:
            progress("summary", 0, steps)
            summary = await queries.summary(session, filters, seconds)
            progress("agents", 1, steps)
            agents = await queries.agents(session, filters, seconds)
            progress("reasons", 2, steps)
            reasons = await queries.reasons(session, filters, seconds)
            progress(f"per {interval}", 3, steps)
            series = await queries.timeseries(session, filters, interval, seconds)
    finally:
        await db.close()
    report = queries.Report(filters, interval, summary, agents, reasons, series)
    progress("writing", 4, steps)
    if fmt == "xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(to_xlsx(report))
        written = [out]
    else:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table, rows in report_tables(report).items():
            path = out / f"{table}.csv"
            path.write_text(to_csv(table, rows))
            written.append(path)
    progress("done", steps, steps)
    return written
