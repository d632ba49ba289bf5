"""Full-text search over what was said on calls: SQLite FTS5 or PostgreSQL tsvector, one text per call."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, String, bindparam, column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.calls.models import Call
from earshot.sessions.models import CallHistoryRow

_WORD = re.compile(r"\w+", re.UNICODE)


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


def matching_call_ids(dialect: str, query: str) -> ColumnElement[bool] | None:
    """A `calls.id IN (...)` condition for calls whose text has every word of the query; None for no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if dialect == "sqlite":
        match = " ".join(f'"{term}"' for term in terms)
        rowids = text("SELECT rowid FROM call_search WHERE call_search MATCH :match").bindparams(
            bindparam("match", match)
        ).columns(column("rowid", Integer))
        ids = select(CallHistoryRow.call_id).where(CallHistoryRow.id.in_(rowids))
    else:
        ids = text(
            "SELECT call_id FROM call_search WHERE document @@ plainto_tsquery('english', :match)"
        ).bindparams(bindparam("match", " ".join(terms))).columns(column("call_id", String))
    return Call.id.in_(ids)
