"""`earshot history rebuild`: calls that ended before the history existed get their row and search text."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from earshot.auth.models import User
from earshot.db import Database
from earshot.sessions.history import HistoryFilters, history_page
from earshot.sessions.models import CallHistoryRow
from tests.sessions.calllog import LATE_PARCEL, earshot_cli, store

SUPERVISOR = User(id=1, username="s", display_name="S", password_hash="x", role="supervisor")


async def test_rebuild_gives_old_calls_their_history_row_and_search_text(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/earshot.db")
    await db.migrate()
    async with db.sessions() as session:
        await store(session, LATE_PARCEL, call_id="a" * 32)
        await session.commit()
        assert (await history_page(session, HistoryFilters(q="furious"), SUPERVISOR)).items == []
    result = earshot_cli(["history", "rebuild"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 calls"
    async with db.sessions() as session:
        row = (await session.execute(select(CallHistoryRow))).scalar_one()
        assert (row.call_id, row.lowest_sentiment, row.had_alert) == ("a" * 32, -0.72, 1)
        assert [i.call_id for i in (await history_page(session, HistoryFilters(q="furious"), SUPERVISOR)).items] == ["a" * 32]
    await db.close()
