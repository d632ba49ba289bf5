"""Demo history for `earshot serve --demo`: weeks of calls simulated and written as real event logs.

A small queue simulation (arrivals with a daily and weekly rhythm, agents on shifts, callers who
give up) decides what happened; each call is then written the way a live one is: its row, its
events appended to the log one by one (`append_event`), its summary and history row. What the
agents did comes back as state changes for the metrics read models. Everything is drawn from one
seeded random generator, so the same day always gets the same calls.

Incidents are built in (an understaffed hour with a burst of callers, an agent whose calls go
wrong in a row) so the anomaly detector has something real to find.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.security import hash_call_token, new_call_token
from earshot.calls.models import Call, CallStatus
from earshot.sessions.history_recorder import write_history
from earshot.calls.protocol import LoggedEvent
from earshot.sessions.log import append_events, to_message
from earshot.sessions.models import CallEvent
from earshot.sessions.summary import offline_summary

SEED = 20261203
# Calls per hour on a weekday (UTC), by hour of day; weekends get WEEKEND_SHARE of it.
WEEKDAY_RATE = {8: 4, 9: 7, 10: 9, 11: 9, 12: 6, 13: 7, 14: 8, 15: 8, 16: 6, 17: 4}
WEEKEND_SHARE = 0.35
WEEKDAY_SHIFT = (8, 18)
WEEKEND_SHIFT = (9, 17)
# How long a caller waits before giving up: nobody within the first PATIENCE_MIN_S, then on average
# PATIENCE_S more (exponential), so a normal hour loses a caller rarely and a jammed one loses many.
PATIENCE_MIN_S = 45.0
PATIENCE_S = 240.0
FIRST_NAMES = ("Emily", "James", "Olivia", "Noah", "Ava", "Liam", "Mia", "Lucas", "Sofia", "Ethan", "Zoe", "Omar")
LAST_NAMES = ("Carter", "Nguyen", "Patel", "Garcia", "Kim", "Müller", "Rossi", "Okafor", "Silva", "Cohen", "Berg")


@dataclass(frozen=True)
class Scenario:
    """One reason to call: what the customer says, what assist suggests, what the agent answers."""

    action: str
    opening: str
    suggestion: str
    answer: str
    follow_up: str
    closing: str


SCENARIOS = (
    Scenario("track_order", "Hi, where is my order? It was due on Monday.",
             "Look up the order and give the carrier's latest tracking status.",
             "Let me track that for you, one moment.", "Is it going to arrive this week?",
             "It is out for delivery and should arrive tomorrow."),
    Scenario("offer_refund", "I was charged twice for the same order and I want my money back.",
             "Confirm the duplicate charge and offer a refund to the original payment method.",
             "I can see the duplicate charge; I will refund it now.", "How long will the refund take?",
             "The refund will reach your card in three to five business days."),
    Scenario("reset_password", "I cannot log in to my account, the password does not work.",
             "Verify the account email, then send a password reset link.",
             "I will send you a password reset link right away.", "I got the email, it worked.",
             "Great, you are all set. Anything else?"),
    Scenario("explain_billing", "My bill is higher this month and I do not understand why.",
             "Walk through the latest invoice line by line and explain the new charges.",
             "The difference is the annual service fee, billed this month.", "Can I pay it in instalments?",
             "Yes, I have split it over the next three bills."),
    Scenario("offer_replacement", "The blender arrived broken, the jar is cracked.",
             "Apologise and offer a free replacement shipped express.",
             "I am sorry about that; I will send a replacement by express shipping.", "Do I need to send it back?",
             "No need, keep or recycle the broken one."),
    Scenario("cancel_service", "I would like to cancel my subscription please.",
             "Ask why they are leaving and mention the retention discount before cancelling.",
             "I can do that. May I ask why you want to cancel?", "It is just too expensive for me now.",
             "I have applied a 30 percent discount for six months instead."),
)
DISPOSITIONS = (("resolved", 0.74), ("follow_up", 0.12), ("escalated", 0.06), ("unresolved", 0.08))


@dataclass(frozen=True)
class Incident:
    """An hour of a day (days before today) with the staff away (a meeting that ran over) and a burst
    of callers, or an agent (by position among the demo agents) whose calls that day all end badly."""

    days_ago: int
    hour: int | None = None
    surge: float = 3.0
    agents_away: int = 3
    unhappy_agent: int | None = None


INCIDENTS = (
    Incident(days_ago=3, hour=11),
    Incident(days_ago=8, unhappy_agent=1),
    Incident(days_ago=12, hour=15, surge=3.5),
)


@dataclass
class AgentSpan:
    agent_id: int
    state: str
    at: datetime


@dataclass
class SimulatedCall:
    queued_at: datetime
    channel: str
    customer_name: str
    scenario: Scenario
    agent: tuple[int, str] | None = None
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wrapped_up_at: datetime | None = None
    disposition: str = "resolved"
    negative: bool = False
    accepted: bool = True


@dataclass
class DayPlan:
    calls: list[SimulatedCall] = field(default_factory=list)
    states: list[AgentSpan] = field(default_factory=list)


def _arrivals(rng: random.Random, day: date, incident: Incident | None) -> Iterator[datetime]:
    weekend = day.weekday() >= 5
    begin, end = WEEKEND_SHIFT if weekend else WEEKDAY_SHIFT
    for hour, rate in WEEKDAY_RATE.items():
        if not begin <= hour < end:
            continue  # the lines are closed
        mean = rate * (WEEKEND_SHARE if weekend else 1.0)
        if incident is not None and incident.hour == hour:
            mean *= incident.surge
        start = datetime.combine(day, time(hour), tzinfo=UTC)
        at = rng.expovariate(mean) * 3600 if mean > 0 else 3600.0
        while at < 3600:
            yield start + timedelta(seconds=at)
            at += rng.expovariate(mean) * 3600


def plan_day(rng: random.Random, day: date, agents: list[tuple[int, str]], incident: Incident | None) -> DayPlan:
    """Simulate one day: who was on shift, which calls came, who answered after how long, who gave up."""
    weekend = day.weekday() >= 5
    begin, end = WEEKEND_SHIFT if weekend else WEEKDAY_SHIFT
    staff = agents
    shift_start = datetime.combine(day, time(begin), tzinfo=UTC)
    shift_end = datetime.combine(day, time(end), tzinfo=UTC)
    plan = DayPlan()
    free_at = {agent[0]: shift_start - timedelta(minutes=rng.uniform(1, 10)) for agent in staff}
    for agent_id, at in free_at.items():
        plan.states.append(AgentSpan(agent_id, "available", at))
    away: set[int] = set()
    if incident is not None and incident.hour is not None:
        away = {agent[0] for agent in staff[: incident.agents_away]}
    unhappy = staff[incident.unhappy_agent][0] if incident and incident.unhappy_agent is not None and incident.unhappy_agent < len(staff) else None
    if away:
        gone = datetime.combine(day, time(incident.hour), tzinfo=UTC) - timedelta(minutes=5)  # type: ignore[union-attr]
        back = gone + timedelta(minutes=70)
    for queued_at in _arrivals(rng, day, incident):
        call = SimulatedCall(
            queued_at=queued_at,
            channel="phone" if rng.random() < 0.45 else "web",
            customer_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            scenario=rng.choice(SCENARIOS),
        )
        plan.calls.append(call)

        def ready(agent_id: int) -> datetime:
            at = max(free_at[agent_id], queued_at)
            if agent_id in away and gone <= at < back:
                at = back
            return at

        choice = min((agent for agent in staff), key=lambda agent: (ready(agent[0]), agent[0]))
        ring_at = ready(choice[0])
        answer_at = ring_at + timedelta(seconds=rng.uniform(2, 8))
        patience = PATIENCE_MIN_S + rng.expovariate(1 / PATIENCE_S)
        if (answer_at - queued_at).total_seconds() > patience:
            call.ended_at = queued_at + timedelta(seconds=max(5.0, patience))
            continue
        talk = rng.lognormvariate(math.log(200), 0.3)
        wrap = rng.uniform(20, 70)
        call.agent, call.offered_at, call.answered_at = choice, ring_at, answer_at
        call.ended_at = answer_at + timedelta(seconds=talk)
        call.wrapped_up_at = call.ended_at + timedelta(seconds=wrap)
        # Outside incidents a call rarely ends badly; on a bad morning one agent's calls all do.
        call.negative = (choice[0] == unhappy and 9 <= queued_at.hour < 12) or rng.random() < 0.02
        roll, total = rng.random(), 0.0
        for disposition, share in DISPOSITIONS:
            total += share
            if roll <= total:
                call.disposition = disposition
                break
        if call.negative and call.disposition == "resolved":
            call.disposition = "unresolved"
        call.accepted = rng.random() < (0.35 if call.negative else 0.72)
        free_at[choice[0]] = call.wrapped_up_at
        agent_id = choice[0]
        plan.states += [
            AgentSpan(agent_id, "offered", ring_at),
            AgentSpan(agent_id, "in_call", answer_at),
            AgentSpan(agent_id, "wrap_up", call.ended_at),
            AgentSpan(agent_id, "available", call.wrapped_up_at),
        ]
    for agent_id in free_at:
        if agent_id in away:
            plan.states += [AgentSpan(agent_id, "unavailable", gone), AgentSpan(agent_id, "available", back)]
        plan.states.append(AgentSpan(agent_id, "offline", max(shift_end, free_at[agent_id])))
    plan.states.sort(key=lambda span: (span.agent_id, span.at))
    _drop_overlaps(plan.states)
    return plan


def _drop_overlaps(states: list[AgentSpan]) -> None:
    """An agent back from an absence mid-call keeps the call's states: drop the out-of-turn ones."""
    keep: list[AgentSpan] = []
    for span in states:
        if keep and keep[-1].agent_id == span.agent_id and span.state == "available" and keep[-1].state in ("offered", "in_call", "wrap_up"):
            continue
        keep.append(span)
    states[:] = keep


def _sentiment(rng: random.Random, negative: bool, trend: float) -> dict[str, Any]:
    score = rng.uniform(-0.85, -0.4) if negative else rng.uniform(-0.1, 0.6)
    label = "negative" if score < -0.25 else "positive" if score > 0.25 else "neutral"
    new_trend = round(0.6 * trend + 0.4 * score, 3) if trend else round(score, 3)
    return {"score": round(score, 3), "label": label, "confidence": round(rng.uniform(0.6, 0.95), 2),
            "trend": new_trend, "trend_delta": round(new_trend - trend, 3)}


class _Writer:
    """Collects a simulated call's events, then appends them to its log as the live path does
    (`append_events`: seqs reserved on the call's row, each event validated against the protocol)."""

    def __init__(self, session: AsyncSession, call: Call) -> None:
        self.session = session
        self.call = call
        self.pending: list[tuple[str, dict[str, Any], datetime | None]] = []
        self.events: list[CallEvent] = []

    def log(self, at: datetime | None, event_type: str, **payload: Any) -> int:
        """Queue an event; returns the seq it will have (later events refer to it)."""
        self.pending.append((event_type, payload, at))
        return self.call.last_seq + len(self.pending)

    async def flush(self) -> list[LoggedEvent]:
        expected = self.call.last_seq + 1
        events = await append_events(self.session, self.call, self.pending)
        assert events[0].seq == expected, "a simulated call's log is written by this writer alone"
        self.events += events
        self.pending = []
        return [to_message(event) for event in self.events]


def _said(writer: _Writer, call: SimulatedCall, speaker: str, text: str, at: datetime) -> int:
    author = call.customer_name if speaker == "customer" else call.agent[1]  # type: ignore[index]
    if call.channel == "web":
        return writer.log(at, "chat", speaker=speaker, author=author, text=text)
    start = int((at - call.queued_at).total_seconds() * 1000) - 2500
    return writer.log(at, "transcript", speaker=speaker, utterance_id=uuid.uuid4().hex[:12], final=True,
                      text=text, stable_text=text, start_ms=max(0, start), end_ms=start + 2400)


async def write_call(session: AsyncSession, rng: random.Random, simulated: SimulatedCall) -> str:
    """Write one simulated call: its row, its log, its summary and its history row; the caller commits."""
    assert simulated.ended_at is not None
    call = Call(id=uuid.uuid4().hex, status=CallStatus.ended, channel=simulated.channel,
                customer_name=simulated.customer_name, customer_token_hash=hash_call_token(new_call_token()),
                queued_at=simulated.queued_at, last_seq=0)
    session.add(call)
    await session.flush()
    writer = _Writer(session, call)
    writer.log(simulated.queued_at, "call_queued", customer_name=simulated.customer_name, channel=simulated.channel)
    if simulated.agent is None:
        writer.log(simulated.ended_at, "call_ended", reason="abandoned", ended_by="customer")
        call.ended_at, call.end_reason, call.ended_by = simulated.ended_at, "abandoned", "customer"
        notes = await _summarize(writer, simulated.ended_at + timedelta(seconds=1))
        return await _history(writer, notes)
    agent_id, agent_name = simulated.agent
    answered, wrapped = simulated.answered_at, simulated.wrapped_up_at
    assert answered is not None and wrapped is not None
    writer.log(simulated.offered_at, "call_offered", agent_id=agent_id, agent_name=agent_name)
    writer.log(answered, "call_started", agent_id=agent_id, agent_name=agent_name)
    talk = (simulated.ended_at - answered).total_seconds()

    def step(share: float) -> datetime:
        return answered + timedelta(seconds=talk * share)

    scenario = simulated.scenario
    opening = _said(writer, simulated, "customer", scenario.opening, step(0.08))
    mood = _sentiment(rng, simulated.negative and rng.random() < 0.5, 0.0)
    writer.log(step(0.09), "sentiment", utterance_seq=opening, **mood)
    suggestion_id = uuid.uuid4().hex[:12]
    writer.log(step(0.1), "suggestion", suggestion_id=suggestion_id, answers_seq=opening, utterance=scenario.opening,
               suggestion=scenario.suggestion, reasoning=f"The customer asks about {scenario.action.replace('_', ' ')}.",
               action=scenario.action, confidence=round(rng.uniform(0.6, 0.95), 2), sources=[], provider="playbook")
    writer.log(step(0.18), "suggestion_feedback", suggestion_id=suggestion_id, accepted=simulated.accepted, agent_id=agent_id)
    _said(writer, simulated, "agent", scenario.answer, step(0.2))
    follow_up = _said(writer, simulated, "customer", scenario.follow_up, step(0.55))
    writer.log(step(0.56), "sentiment", utterance_seq=follow_up, **_sentiment(rng, simulated.negative, mood["trend"]))
    _said(writer, simulated, "agent", scenario.closing, step(0.8))
    ended_by = "customer" if rng.random() < 0.6 else "agent"
    writer.log(simulated.ended_at, "call_ended", reason="hangup", ended_by=ended_by)
    notes = await _summarize(writer, simulated.ended_at + timedelta(seconds=1))
    writer.log(wrapped, "call_wrapped_up", disposition=simulated.disposition, notes=notes)
    await writer.flush()
    call.agent_id, call.answered_at, call.ended_at = agent_id, answered, simulated.ended_at
    call.end_reason, call.ended_by, call.disposition = "hangup", ended_by, simulated.disposition
    call.notes, call.wrapped_up_at = notes, wrapped
    return await _history(writer, notes)


async def _summarize(writer: _Writer, at: datetime) -> str:
    """Log the summary the history recorder logs when a call ends; its notes pre-fill the wrap-up."""
    draft = offline_summary(await writer.flush())
    writer.log(at, "call_summary", **draft.payload())
    return draft.notes


async def _history(writer: _Writer, summary: str) -> str:
    messages = await writer.flush() if writer.pending else [to_message(event) for event in writer.events]
    await write_history(writer.session, writer.call.id, messages, summary)
    return writer.call.id


def history_days(today: date, days: int) -> list[date]:
    """The days to fill, oldest first: the `days` before today (today is left to live calls)."""
    return [today - timedelta(days=back) for back in range(days, 0, -1)]


def incident_day(incident: Incident, today: date) -> date:
    """The incident's day: `days_ago` before today, moved back to the Friday when that is a weekend
    (the detector judges an hour against the same hour on other days, and weekend hours are quiet)."""
    day = today - timedelta(days=incident.days_ago)
    return day - timedelta(days=max(0, day.weekday() - 4))


def incident_on(day: date, today: date) -> Incident | None:
    return next((incident for incident in INCIDENTS if incident_day(incident, today) == day), None)
