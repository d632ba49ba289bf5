"""Full-text search over what was said on calls: SQLite FTS5 or PostgreSQL tsvector, one text per call."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, String, bindparam, column, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import Call
from earshot.sessions.models import CallHistoryRow

_WORD = re.compile(r"\w+", re.UNICODE)
COMMON = 10_000  # matches past which a search term counts as common (see `matching_calls`)


def search_terms(query: str) -> list[str]:
    """The words of a query; every one must appear (FTS5 and tsquery operators are not passed through)."""
    return _WORD.findall(query.lower())[:16]


async def store_text(session: AsyncSession, row: CallHistoryRow, body: str) -> None:
    """(Re)place the searchable text of one call; `row` must be flushed (it has its id)."""
    if session.bind.dialect.name == "sqlite":
        await session.execute(text("DELETE FROM call_search WHERE rowid = :id"), {"id": row.id})
        await session.execute(text("INSERT INTO call_search (rowid, text) VALUES (:id, :body)"), {"id": row.id, "body": body})
    else:
        await session.execute(
            text(
                "INSERT INTO call_search (call_id, text) VALUES (:call_id, :body)"
                " ON CONFLICT (call_id) DO UPDATE SET text = excluded.text"
            ),
            {"call_id": row.call_id, "body": body},
        )


async def matching_calls(session: AsyncSession, query: str) -> ColumnElement[bool] | None:
    """A condition on `calls` (joined to `call_history`) for calls whose text has every word; None for no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if session.bind.dialect.name != "sqlite":
        ids = text("SELECT call_id FROM call_search WHERE document @@ plainto_tsquery('english', :match)")
        return Call.id.in_(ids.bindparams(bindparam("match", " ".join(terms))).columns(column("call_id", String)))
    match = " ".join(f'"{term}"' for term in terms)
    # SQLite plans both shapes badly at one end: listing the matches first costs ~1 µs a match (too
    # slow when most calls match), probing each candidate row costs ~25 µs (too slow when few do).
    # Counting up to COMMON matches first (a few ms) picks the right one.
    found = await session.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM call_search WHERE call_search MATCH :match LIMIT :most)"),
        {"match": match, "most": COMMON},
    )
    if found.scalar_one() >= COMMON:
        probe = text("SELECT 1 FROM call_search WHERE call_search MATCH :match AND call_search.rowid = call_history.id")
        return exists(probe.bindparams(bindparam("match", match)).columns(column("one", Integer)))
    rowids = text("SELECT rowid FROM call_search WHERE call_search MATCH :match").bindparams(bindparam("match", match))
    listed = select(CallHistoryRow.call_id).where(CallHistoryRow.id.in_(rowids.columns(column("rowid", Integer))))
    return Call.id.in_(listed)
