"""The anomaly watcher: checks the KPI series periodically, logs drifts as alerts, and lists or acknowledges them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.bus import Bus
from earshot.calls.hub import SUPERVISORS_CHANNEL
from earshot.calls.protocol import MetricAlert as MetricAlertMessage
from earshot.config import Settings
from earshot.db import Database, utcnow
from earshot.metrics import queries
from earshot.metrics.anomaly import WATCHED, Drift, Watched, detect, negative_streak
from earshot.metrics.models import CallFactsRow, MetricAlert
from earshot.metrics.queries import Filters

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
RECENT_HOURS = 24


def _calls(point: dict[str, Any]) -> int:
    return int(point["calls_handled"]) + int(point["calls_abandoned"])


class AlertWatcher:
    """Every `metrics_check_seconds`, judges the last complete hour against its history.

    `notify` is given each new alert (e.g. to push it to supervisors); failures there are logged.
    """

    def __init__(
        self, db: Database, settings: Settings, notify: Callable[[MetricAlert], Awaitable[None]] | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.notify = notify
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.settings.metrics_check_seconds > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.metrics_check_seconds)
            try:
                await self.check(utcnow())
            except Exception:  # the next round may well succeed
                log.exception("checking the metrics for anomalies failed")

    async def check(self, now: datetime) -> list[MetricAlert]:
        """Judge the hour before `now`'s hour; store, log and announce what drifted. Returns new alerts."""
        latest = now.replace(minute=0, second=0, microsecond=0) - HOUR
        async with self.db.sessions() as session:
            drifts = await self._series_drifts(session, latest)
            found: list[tuple[Watched | None, str, datetime, Drift | str]] = [
                (watched, "all", latest, drift) for watched, drift in drifts
            ]
            found += [(None, scope, since, text) for scope, since, text in await self._streaks(session, now)]
            alerts = []
            for watched, scope, bucket, what in found:
                alert = await self._record(session, watched, scope, bucket, what, now)
                if alert is not None:
                    alerts.append(alert)
            await session.commit()
        for alert in alerts:
            log.warning("metric alert %s [%s]: %s", alert.kpi, alert.scope, alert.message)
            if self.notify is not None:
                try:
                    await self.notify(alert)
                except Exception:
                    log.exception("announcing metric alert %s failed", alert.id)
        return alerts

    async def _series_drifts(self, session: AsyncSession, latest: datetime) -> list[tuple[Watched, Drift]]:
        settings = self.settings
        start = latest - timedelta(days=settings.metrics_anomaly_days)
        series = await queries.timeseries(
            session, Filters(start, latest + HOUR), "hour", settings.service_level_seconds
        )
        by_hour = {point["bucket_start"]: point for point in series if _calls(point) >= settings.metrics_anomaly_min_calls}
        point = by_hour.get(latest)
        if point is None:
            return []
        drifts = []
        for watched in WATCHED:
            value = point[watched.kpi]
            if value is None:
                continue
            same_hour = [by_hour.get(latest - timedelta(days=d)) for d in range(1, settings.metrics_anomaly_days + 1)]
            before = [by_hour.get(latest - HOUR * h) for h in range(RECENT_HOURS, 0, -1)]
            seasonal = [p[watched.kpi] for p in same_hour if p is not None and p[watched.kpi] is not None]
            recent = [p[watched.kpi] for p in before if p is not None and p[watched.kpi] is not None]
            drift = detect(watched, float(value), seasonal, recent, settings.metrics_anomaly_z)
            if drift is not None:
                drifts.append((watched, drift))
        return drifts

    async def _streaks(self, session: AsyncSession, now: datetime) -> list[tuple[str, datetime, str]]:
        """Agents whose last `metrics_negative_streak` calls (today and yesterday) all ended negative."""
        length = self.settings.metrics_negative_streak
        if length <= 0:
            return []
        since = int((now - timedelta(days=1)).timestamp())
        rows = await session.execute(
            select(CallFactsRow.agent_id, CallFactsRow.ended_negative, CallFactsRow.queued_at)
            # Bounded by `now` too: a check of an earlier hour (the demo history's) sees no later calls.
            .where(CallFactsRow.queued_epoch >= since, CallFactsRow.queued_epoch < int(now.timestamp()),
                   CallFactsRow.handled == 1, CallFactsRow.scored == 1)
            .order_by(CallFactsRow.agent_id, CallFactsRow.queued_epoch)
        )
        by_agent: dict[int, list[tuple[bool, datetime]]] = {}
        for agent_id, negative, queued_at in rows:
            by_agent.setdefault(agent_id, []).append((bool(negative), queued_at))
        streaks = []
        for agent_id, calls in by_agent.items():
            if not negative_streak([negative for negative, _ in calls], length):
                continue
            run = 0
            while run < len(calls) and calls[-1 - run][0]:
                run += 1
            first = calls[-run][1]
            text = f"Agent {agent_id}: {run} calls in a row ended negative, since {first:%Y-%m-%d %H:%M} UTC"
            streaks.append((f"agent:{agent_id}", first, text))
        return streaks

    async def _record(
        self, session: AsyncSession, watched: Watched | None, scope: str, bucket: datetime, what: Drift | str,
        now: datetime,
    ) -> MetricAlert | None:
        kpi = watched.kpi if watched is not None else "negative_streak"
        existing = await session.execute(
            select(MetricAlert.id).where(MetricAlert.kpi == kpi, MetricAlert.scope == scope,
                                         MetricAlert.bucket_start == bucket)
        )
        if existing.first() is not None:
            return None  # already raised for this interval (or this streak)
        if isinstance(what, Drift):
            assert watched is not None
            alert = MetricAlert(kpi=kpi, scope=scope, bucket_start=bucket, value=what.value, baseline=what.baseline,
                                score=what.score, message=what.describe(watched.label, watched.unit, bucket),
                                created_at=now)
        else:
            length = float(self.settings.metrics_negative_streak)
            alert = MetricAlert(kpi=kpi, scope=scope, bucket_start=bucket, value=length, baseline=0.0, score=length,
                                message=what, created_at=now)
        session.add(alert)
        await session.flush()
        return alert


def alert_message(alert: MetricAlert) -> MetricAlertMessage:
    return MetricAlertMessage(
        id=alert.id, kpi=alert.kpi, scope=alert.scope, bucket_start=alert.bucket_start, value=alert.value,
        baseline=alert.baseline, score=alert.score, message=alert.message, created_at=alert.created_at,
    )


def announce_on(bus: Bus) -> Callable[[MetricAlert], Awaitable[None]]:
    """A `notify` for the watcher: each new alert goes to every supervisor console, live."""

    async def announce(alert: MetricAlert) -> None:
        await bus.publish(SUPERVISORS_CHANNEL, alert_message(alert).model_dump_json())

    return announce


async def list_alerts(session: AsyncSession, include_acknowledged: bool, limit: int = 200) -> list[MetricAlert]:
    query = select(MetricAlert).order_by(MetricAlert.created_at.desc(), MetricAlert.id.desc()).limit(limit)
    if not include_acknowledged:
        query = query.where(MetricAlert.acknowledged_at.is_(None))
    return list((await session.execute(query)).scalars())


async def acknowledge(session: AsyncSession, alert_id: int, user_id: int) -> MetricAlert | None:
    """Mark an alert seen (the first acknowledgement stands); None when there is no such alert."""
    alert = await session.get(MetricAlert, alert_id)
    if alert is not None and alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = datetime.now(UTC), user_id
        await session.commit()
    return alert
