"""Metric alerts reach supervisors' consoles live, as the watcher raises them in a running server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from earshot.config import Settings
from earshot.db import Database, utcnow
from earshot.metrics.facts import rebuild_call_facts
from tests.harness import RunningServer
from tests.metrics.calllog import add_call, ended, queued, sentiment, started, wrapped

AGENT1 = 3  # the demo agent1's id


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    server_settings.metrics_check_seconds = 0.3
    server_settings.metrics_negative_streak = 4
    return server_settings


async def test_an_agents_negative_streak_is_pushed_to_supervisors(server: RunningServer) -> None:
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.expect("hello")
    db = Database(server.database_url)
    async with db.sessions() as session:
        for minutes in (50, 40, 30, 20):
            steps = [queued(), started(5, AGENT1), sentiment(30, -0.7), ended(60), wrapped(70, "unresolved")]
            await add_call(session, steps, utcnow() - timedelta(minutes=minutes))
        await session.commit()
    await rebuild_call_facts(db)
    await db.close()
    alert = await supervisor.expect("metric_alert", timeout=10)
    assert (alert["kpi"], alert["scope"]) == ("negative_streak", f"agent:{AGENT1}")
    assert "4 calls in a row ended negative" in alert["message"]
    async with server.http(await server.login("supervisor")) as http:
        listed = (await http.get("/api/metrics/alerts")).json()
    assert [a["id"] for a in listed] == [alert["id"]]
