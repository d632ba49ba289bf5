"""`serve --demo`'s call history: weeks of calls written through the event log, with rhythm and incidents."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from earshot.calls.models import Call
from earshot.db import Database, utcnow
from earshot.metrics.models import AgentEvent, MetricAlert
from earshot.seed import seed_demo_history
from earshot.sessions.demo import INCIDENTS, incident_day
from earshot.sessions.models import CallEvent, CallHistoryRow
from earshot.sessions.replay import load_timeline
from tests.harness import RunningServer

DAYS = 20  # the incidents all fall within them; 60 days (the default) take three times as long


async def test_demo_history_has_rhythm_incidents_and_calls_that_replay(server: RunningServer) -> None:
    db = Database(server.database_url)
    today = utcnow().date()
    written = await seed_demo_history(db, server.settings, DAYS, today)
    async with db.sessions() as session:
        calls = (await session.execute(select(Call.queued_at, Call.id, Call.agent_id).order_by(Call.queued_at))).all()
        histories = (await session.execute(select(func.count()).select_from(CallHistoryRow))).scalar_one()
        states = (await session.execute(select(func.count()).select_from(AgentEvent))).scalar_one()
        alerts = (await session.execute(select(MetricAlert.kpi, MetricAlert.bucket_start, MetricAlert.scope))).all()
    assert written == len(calls) == histories > 40 * DAYS
    assert states > 2 * written  # each answered call moves its agent through offered, in call, wrap-up, available
    first, last = calls[0].queued_at.date(), calls[-1].queued_at.date()
    assert (first, last) == (today - timedelta(days=DAYS), today - timedelta(days=1))

    # Weekly rhythm: weekdays are busier than weekends. Daily rhythm: late morning is busier than 8 o'clock.
    by_day = Counter(call.queued_at.date() for call in calls)
    weekday = [n for day, n in by_day.items() if day.weekday() < 5 and not _incident(day, today)]
    weekend = [n for day, n in by_day.items() if day.weekday() >= 5 and not _incident(day, today)]
    assert min(weekday) > max(weekend)
    by_hour = Counter(call.queued_at.hour for call in calls)
    assert by_hour[10] > 1.5 * by_hour[8] and set(by_hour) <= set(range(8, 18))

    # The anomaly watcher, run over the history hour by hour, flags every incident.
    for incident in INCIDENTS:
        day = incident_day(incident, today)
        if incident.hour is not None:
            flagged = {kpi for kpi, at, _scope in alerts if at.date() == day and at.hour == incident.hour}
            assert {"abandonment_rate", "service_level"} <= flagged, (incident, alerts)
        else:
            assert any(kpi == "negative_streak" and at.date() == day for kpi, at, _scope in alerts), (incident, alerts)

    # A seeded call replays like a live one: its log in seq order, time never going back, and the
    # history and metrics routes see it.
    answered = next(call for call in calls if call.agent_id is not None)
    timeline = await load_timeline(db, answered.id)
    assert [e.seq for e in timeline] == list(range(1, len(timeline) + 1))
    assert [e.offset_ms for e in timeline] == sorted(e.offset_ms for e in timeline)
    assert [e.type for e in timeline][:3] == ["call_queued", "call_offered", "call_started"]
    assert {"sentiment", "suggestion", "call_ended", "call_summary", "call_wrapped_up"} <= {e.type for e in timeline}
    token = await server.login("supervisor")
    async with server.http(token) as http:
        events = (await http.get(f"/api/calls/{answered.id}/events")).json()
        assert [e["seq"] for e in events] == [e.seq for e in timeline]
        period = {"from": first.isoformat(), "to": last.isoformat()}
        summary = (await http.get("/api/metrics/summary", params=period)).json()
        listed = (await http.get("/api/history", params={"limit": 5})).json()
    assert summary["calls_handled"] + summary["calls_abandoned"] == written
    assert summary["utilization"] is not None and 0 < summary["utilization"] < 1
    assert listed["items"] and listed["items"][0]["summary"]

    # Seeded once: a database with calls is left as it is.
    assert await seed_demo_history(db, server.settings, DAYS, today) == 0
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(CallEvent))).scalar_one() > 10 * written
        assert (await session.execute(select(func.count()).select_from(Call))).scalar_one() == written
    await db.close()


def _incident(day: date, today: date) -> bool:
    return any(incident_day(incident, today) == day for incident in INCIDENTS)
