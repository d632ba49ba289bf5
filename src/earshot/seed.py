"""Demo data for `earshot serve --demo`: staff accounts with documented passwords, customers, and call history."""

from __future__ import annotations

import logging
import random
import time
from datetime import date, datetime, time as clock, timedelta, UTC

from sqlalchemy import select

from earshot.auth.models import Role, User
from earshot.config import Settings
from earshot.customers.demo import seed_demo_customers
from earshot.auth.demo import seed_demo_users
from earshot.calls.models import Call
from earshot.db import Database, utcnow
from earshot.metrics.alerts import AlertWatcher
from earshot.metrics.facts import refresh_call_facts
from earshot.metrics.models import AgentEvent, CallFactsRow
from earshot.metrics.presence import record_states
from earshot.sessions import demo

log = logging.getLogger(__name__)

PROGRESS_EVERY_DAYS = 10
ALERT_DAYS = 14  # the anomaly detector goes over this many recent days of the history, hour by hour


async def seed_demo_data(settings: Settings) -> None:
    """Idempotent: creates what is missing, never overwrites what exists."""
    db = Database(settings.resolved_database_url)
    try:
        await db.migrate()
        async with db.sessions() as session:
            users = await seed_demo_users(session)
            customers = await seed_demo_customers(session)
            await session.commit()
        log.info("demo data: %d users and %d customers created", users, customers)
        await seed_demo_history(db, settings, settings.demo_history_days)
    finally:
        await db.close()


async def seed_demo_history(db: Database, settings: Settings, days: int, today: date | None = None) -> int:
    """`days` of simulated calls before today, written through the event log; returns the calls written.

    Only into a database without calls: a real call center's history is never mixed with made-up calls,
    and a second start finds the history there and writes nothing.
    """
    today = today or utcnow().date()
    async with db.sessions() as session:
        if days <= 0 or (await session.execute(select(Call.id).limit(1))).first() is not None:
            return 0
        agents = [
            (user.id, user.display_name)
            for user in (await session.execute(
                select(User).where(User.role == Role.agent, User.is_active.is_(True)).order_by(User.id)
            )).scalars()
        ]
    if not agents:
        return 0
    started, written = time.monotonic(), 0
    rng = random.Random(demo.SEED)
    log.info("demo history: simulating %d days of calls for %d agents", days, len(agents))
    for number, day in enumerate(demo.history_days(today, days), 1):
        plan = demo.plan_day(rng, day, agents, demo.incident_on(day, today))
        async with db.sessions() as session:
            call_ids = [await demo.write_call(session, rng, call) for call in plan.calls]
            await session.flush()
            await refresh_call_facts(session, call_ids)
            states = [AgentEvent(agent_id=s.agent_id, state=s.state, at=s.at, at_epoch=s.at.timestamp()) for s in plan.states]
            await record_states(session, states)
            await session.commit()
        written += len(call_ids)
        if number % PROGRESS_EVERY_DAYS == 0 or number == days:
            log.info("demo history: %d/%d days, %d calls (%.1f s)", number, days, written, time.monotonic() - started)
    alerts = await _detect_incidents(db, settings, today)
    log.info("demo history: %d calls over %d days written in %.1f s; %d metric alerts raised",
             written, days, time.monotonic() - started, alerts)
    return written


async def _detect_incidents(db: Database, settings: Settings, today: date) -> int:
    """Run the anomaly watcher over each hour of the recent history with calls in it, as it would
    have run live at the end of that hour; returns the alerts it raised."""
    watcher = AlertWatcher(db, settings)
    start = datetime.combine(today - timedelta(days=ALERT_DAYS), clock(), tzinfo=UTC)
    async with db.sessions() as session:
        epochs = (await session.execute(
            select(CallFactsRow.queued_epoch).where(CallFactsRow.queued_epoch >= int(start.timestamp()))
        )).scalars()
        hours = sorted({epoch // 3600 * 3600 for epoch in epochs})
    raised = 0
    for hour in hours:
        raised += len(await watcher.check(datetime.fromtimestamp(hour, UTC) + timedelta(hours=1, minutes=5)))
    return raised
