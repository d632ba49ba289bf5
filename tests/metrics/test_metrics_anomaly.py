"""Anomaly detection: pure checks of the baseline maths, and the watcher on seeded data with and without a drift."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from earshot.config import Settings
from earshot.db import Database
from earshot.metrics.alerts import AlertWatcher, list_alerts
from earshot.metrics.anomaly import WATCHED, detect, ewma, negative_streak, robust_z
from earshot.metrics.facts import rebuild_call_facts
from tests.metrics.calllog import Step, add_call, ended, queued, sentiment, started, wrapped

WAIT = next(w for w in WATCHED if w.kpi == "average_speed_of_answer_s")
ABANDON = next(w for w in WATCHED if w.kpi == "abandonment_rate")
NOW = datetime(2026, 11, 16, 11, 5, tzinfo=UTC)  # judges 10:00-11:00 on Monday 16 November
DAYS = 14


def test_robust_z_ignores_one_outlier_in_the_history() -> None:
    history = [10, 11, 9, 10, 12, 10, 300]
    assert robust_z(10.5, history) == pytest.approx(0.5 / (1.4826 * 1.0))
    assert robust_z(40, history) > 10


def test_a_flat_history_uses_the_kpis_smallest_normal_spread() -> None:
    assert detect(WAIT, 12.0, [10.0] * 7, [], threshold=3.5) is None  # 2 s is within 5 s
    drift = detect(WAIT, 40.0, [10.0] * 7, [], threshold=3.5)
    assert drift is not None and drift.baseline == 10.0 and drift.score == pytest.approx(6.0)


def test_only_the_worse_direction_alerts() -> None:
    assert detect(WAIT, 1.0, [30.0, 31.0, 29.0, 30.0, 32.0], [], threshold=3.5) is None
    service = next(w for w in WATCHED if w.kpi == "service_level")
    assert detect(service, 0.4, [0.9, 0.92, 0.88, 0.9, 0.91], [], threshold=3.5) is not None


def test_without_seasonal_history_the_recent_ewma_is_the_baseline() -> None:
    recent = [0.05, 0.04, 0.06, 0.05, 0.05, 0.04]
    drift = detect(ABANDON, 0.5, [0.05], recent, threshold=3.5)
    assert drift is not None and drift.basis.startswith("EWMA") and drift.baseline == pytest.approx(ewma(recent))
    assert detect(ABANDON, 0.5, [], [0.05, 0.04], threshold=3.5) is None  # too little history to judge


def test_negative_streak_needs_the_newest_calls_all_negative() -> None:
    assert negative_streak([False, True, True, True], 3)
    assert not negative_streak([True, True, True, False], 3)
    assert not negative_streak([True, True], 3)


def _settings() -> Settings:
    return Settings(metrics_anomaly_days=DAYS, metrics_negative_streak=4, _env_file=None)  # type: ignore[call-arg]


def _call(rng: random.Random, wait: float, abandoned: bool, agent: int, score: float) -> list[Step]:
    if abandoned:
        return [queued(), ended(wait, "abandoned")]
    talk = rng.uniform(100, 200)
    return [queued(), started(wait, agent), sentiment(wait + 5, score), ended(wait + talk), wrapped(wait + talk + 30)]


async def _seed(database: Database, anomaly: bool) -> None:
    """Ten calls at 10:00-11:00 every day for 15 days; with `anomaly`, the last hour's waits and abandons jump
    and agent 2's last four calls end negative."""
    rng = random.Random(7)
    async with database.sessions() as session:
        for day in range(DAYS, -1, -1):
            hour = NOW.replace(minute=0) - timedelta(hours=1) - timedelta(days=day)
            spike = anomaly and day == 0
            for i in range(10):
                wait = rng.uniform(50, 80) if spike else rng.uniform(4, 16)
                abandoned = i % 2 == 0 if spike else rng.random() < 0.05
                agent = 1 + i % 2
                score = -0.6 if spike and agent == 2 else rng.choice([0.5, -0.4, 0.2, 0.1])
                await add_call(session, _call(rng, wait, abandoned, agent, score), hour + timedelta(minutes=5 * i))
        await session.commit()
    await rebuild_call_facts(database)


async def test_a_seeded_drift_raises_alerts_that_say_what_moved_and_against_what(database: Database) -> None:
    await _seed(database, anomaly=True)
    watcher = AlertWatcher(database, _settings())
    alerts = {(a.kpi, a.scope): a for a in await watcher.check(NOW)}
    assert {"average_speed_of_answer_s", "abandonment_rate", "service_level"} <= {kpi for kpi, _ in alerts}
    wait = alerts[("average_speed_of_answer_s", "all")]
    assert wait.value > 50 and 4 < wait.baseline < 16 and wait.score > 3.5
    assert "Wait time" in wait.message and "same hour over 14 days" in wait.message
    assert ("negative_streak", "agent:2") in alerts
    assert await watcher.check(NOW) == []  # raised once per interval, not at every check
    async with database.sessions() as session:
        assert len(await list_alerts(session, include_acknowledged=False)) == len(alerts)


async def test_ordinary_days_raise_no_alert(database: Database) -> None:
    await _seed(database, anomaly=False)
    assert await AlertWatcher(database, _settings()).check(NOW) == []
