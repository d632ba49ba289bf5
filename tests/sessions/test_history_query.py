"""The history query on a seeded database: every call once across pages in each order, filters, roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from earshot.auth.models import Role, User
from earshot.customers.models import Customer
from earshot.db import Database
from earshot.sessions.history import HistoryFilters, history_page
from earshot.sessions import search
from earshot.sessions.history_recorder import rebuild_history
from tests.sessions.calllog import LATE_PARCEL, T0, mood, said, store

SUPERVISOR = User(id=100, username="sup", display_name="Sup", password_hash="x", role=Role.supervisor)
AGENTS = [User(id=i, username=f"a{i}", display_name=f"Agent {i}", password_hash="x", role=Role.agent) for i in (1, 2)]


def _steps(n: int) -> list[Any]:
    """Call n: talked about a 'parcel' when n is even, scored n/40 - 0.5 unless n % 5 == 0."""
    topic = "my parcel is late" if n % 2 == 0 else "my invoice is wrong"
    steps = [LATE_PARCEL[0], LATE_PARCEL[1], said(5000, "customer", topic)]
    if n % 5:
        steps.append(mood(7000, round(n / 40 - 0.5, 3), 0.0))
    return [*steps, (9000, "call_ended", {"reason": "hangup", "ended_by": "customer"})]


async def _seed(database: Database, count: int = 37) -> None:
    async with database.sessions() as session:
        session.add_all([User(**{k: getattr(a, k) for k in ("id", "username", "display_name", "password_hash", "role")})
                         for a in AGENTS])  # fmt: skip
        await session.flush()
        for n in range(count):
            # Three calls share each queued_at, so the cursor's tie-break on call_id matters.
            await store(session, _steps(n), call_id=f"{n:032d}", agent_id=1 + n % 2, queued_at=T0 + timedelta(minutes=n // 3))
        await session.commit()
    await rebuild_history(database)


async def _all_pages(database: Database, user: User, **filters: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    async with database.sessions() as session:
        while True:
            page = await history_page(session, HistoryFilters(limit=4, cursor=cursor, **filters), user)
            seen += [item.call_id for item in page.items]
            if (cursor := page.next_cursor) is None:
                return seen


async def test_every_call_appears_once_across_pages_in_every_order(database: Database) -> None:
    await _seed(database)
    newest = await _all_pages(database, SUPERVISOR)
    assert newest == sorted(newest, key=lambda c: (int(c) // 3, c), reverse=True) and len(newest) == 37
    assert await _all_pages(database, SUPERVISOR, sort="oldest") == newest[::-1]
    by_mood = await _all_pages(database, SUPERVISOR, sort="lowest_sentiment")
    scored = [c for c in by_mood if int(c) % 5]
    assert len(by_mood) == len(set(by_mood)) == 37
    assert by_mood[: len(scored)] == sorted(scored, key=int)  # lowest first, unscored last


@pytest.mark.parametrize("common", [2000, 1], ids=["rare-words", "common-words"])
async def test_filters_combine_with_text_search_and_the_agents_own_calls(
    database: Database, common: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "COMMON", common)  # both of SQLite's query shapes give the same calls
    await _seed(database)
    agent1 = await _all_pages(database, AGENTS[0])
    assert agent1 and all(int(c) % 2 == 0 for c in agent1)
    parcel = await _all_pages(database, SUPERVISOR, q="parcels")
    assert sorted(parcel, key=int) == [f"{n:032d}" for n in range(0, 37, 2)]
    low = await _all_pages(database, SUPERVISOR, q="invoice", lowest_sentiment_max=-0.3)
    assert sorted(int(c) for c in low) == [n for n in range(37) if n % 2 and n % 5 and n / 40 - 0.5 <= -0.3]
    window = await _all_pages(database, SUPERVISOR, since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4))
    assert sorted(int(c) for c in window) == list(range(6, 12))
    assert await _all_pages(database, AGENTS[1], q="parcel") == []  # agent 2 took only the invoice calls


async def test_agent_customer_and_alert_filters_pick_their_calls(database: Database) -> None:
    async with database.sessions() as session:
        session.add_all([User(**{k: getattr(a, k) for k in ("id", "username", "display_name", "password_hash", "role")})
                         for a in AGENTS])  # fmt: skip
        session.add(Customer(id=7, name="Oliver Bennett"))
        await session.flush()
        for n in range(6):
            # An alert when n is a multiple of 3; agent 1 or 2 by parity; customer 7's record on n < 2.
            steps = _steps(n)
            if n % 3 == 0:
                steps.insert(-1, (7500, "sentiment_alert", {"utterance_seq": 3, "score": -0.8, "trend": -0.8, "reason": "very negative"}))
            call = await store(session, steps, call_id=f"{n:032d}", agent_id=1 + n % 2, queued_at=T0 + timedelta(minutes=n))
            call.customer_id = 7 if n < 2 else None
        await session.commit()
    await rebuild_history(database)

    def numbers(ids: list[str]) -> list[int]:
        return sorted(int(call_id) for call_id in ids)

    assert numbers(await _all_pages(database, SUPERVISOR, had_alert=True)) == [0, 3]
    assert numbers(await _all_pages(database, SUPERVISOR, had_alert=False)) == [1, 2, 4, 5]
    assert numbers(await _all_pages(database, SUPERVISOR, agent_id=2)) == [1, 3, 5]
    assert numbers(await _all_pages(database, SUPERVISOR, agent_id=2, had_alert=True, q="invoice")) == [3]
    assert numbers(await _all_pages(database, SUPERVISOR, customer_id=7)) == [0, 1]
    # An agent asking for another agent's calls gets none: the agent filter never widens what they see.
    assert await _all_pages(database, AGENTS[0], agent_id=2) == []
