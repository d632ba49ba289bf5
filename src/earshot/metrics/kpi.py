"""KPI definitions, written once: a call's facts derived from its event log, and what each KPI means.

`call_facts` turns one call's logged events into a `CallFacts` (pure, no I/O). The SQL
aggregates in `queries.py` sum those facts; `KPI_DEFINITIONS` is the text the docs, the API
(`/api/metrics/definitions`) and the dashboard's tooltips all show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A call ended before an agent answered, for one of these reasons, was abandoned by its customer.
# (`shutdown` is the system's doing, not the customer's: such calls are neither handled nor abandoned.)
ABANDON_REASONS = frozenset({"abandoned", "dropped"})


@dataclass(frozen=True)
class LoggedFact:
    """The few fields of a logged event the KPIs read (a `CallEvent` row or a protocol message)."""

    type: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallFacts:
    """Everything the KPIs need about one call, derived from its events alone."""

    call_id: str
    channel: str
    agent_id: int | None
    queued_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wrapped_up_at: datetime | None
    end_reason: str | None
    disposition: str | None
    abandoned: bool
    first_response_s: float | None
    sentiment_sum: float
    sentiment_count: int
    ended_negative: bool
    suggestions: int
    suggestions_rated: int
    suggestions_accepted: int
    reconnects: int
    reason: str | None

    @property
    def handled(self) -> bool:
        return self.answered_at is not None and self.ended_at is not None

    @property
    def wait_s(self) -> float | None:
        """Seconds in queue: to the answer, or to the end for a call never answered."""
        end = self.answered_at or self.ended_at
        return None if end is None else _seconds(self.queued_at, end)

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return _seconds(self.answered_at, self.ended_at)

    @property
    def wrap_s(self) -> float | None:
        if self.ended_at is None or self.wrapped_up_at is None or self.answered_at is None:
            return None
        return _seconds(self.ended_at, self.wrapped_up_at)

    @property
    def handle_s(self) -> float | None:
        """Talk plus wrap-up; unknown until the call is wrapped up."""
        talk, wrap = self.talk_s, self.wrap_s
        return None if talk is None or wrap is None else talk + wrap


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _is_line(event: LoggedFact) -> bool:
    """A chat message or a final transcript: something a party said."""
    return event.type == "chat" or (event.type == "transcript" and event.payload.get("final", True))


def call_facts(call_id: str, events: Iterable[LoggedFact]) -> CallFacts | None:
    """The facts of one call from its events in `seq` order; None when the log has no `call_queued`."""
    ordered = list(events)
    queued = next((e for e in ordered if e.type == "call_queued"), None)
    if queued is None:
        return None
    started = next((e for e in ordered if e.type == "call_started"), None)
    # A transferred call is answered once (its first call_started: speed of answer and handle time
    # are the caller's) and counted for the agent who finished it (its last call_started).
    finished_by = next((e for e in reversed(ordered) if e.type == "call_started"), None)
    ended = next((e for e in ordered if e.type == "call_ended"), None)
    wrapped = next((e for e in ordered if e.type == "call_wrapped_up"), None)
    sentiments = [e for e in ordered if e.type == "sentiment"]
    suggestions = [e for e in ordered if e.type == "suggestion"]
    verdicts: dict[str, bool] = {}  # the agent's last word on each suggestion counts
    for event in ordered:
        if event.type == "suggestion_feedback":
            verdicts[str(event.payload["suggestion_id"])] = bool(event.payload["accepted"])
    end_reason = str(ended.payload["reason"]) if ended else None
    return CallFacts(
        call_id=call_id,
        channel=str(queued.payload.get("channel", "web")),
        agent_id=int(finished_by.payload["agent_id"]) if finished_by else None,
        queued_at=queued.at,
        answered_at=started.at if started else None,
        ended_at=ended.at if ended else None,
        wrapped_up_at=wrapped.at if wrapped else None,
        end_reason=end_reason,
        disposition=str(wrapped.payload["disposition"]) if wrapped else None,
        abandoned=started is None and end_reason in ABANDON_REASONS,
        first_response_s=first_response_s(ordered),
        sentiment_sum=sum(float(e.payload["score"]) for e in sentiments),
        sentiment_count=len(sentiments),
        ended_negative=bool(sentiments) and sentiments[-1].payload.get("label") == "negative",
        suggestions=len(suggestions),
        suggestions_rated=len(verdicts),
        suggestions_accepted=sum(verdicts.values()),
        reconnects=sum(1 for e in ordered if e.type == "party_reconnected"),
        reason=str(suggestions[0].payload["action"]) if suggestions else None,
    )


def first_response_s(events: Sequence[LoggedFact]) -> float | None:
    """Seconds from the customer's first line to the agent's first line after it, if both exist."""
    customer_at: datetime | None = None
    for event in events:
        if not _is_line(event):
            continue
        speaker = event.payload.get("speaker")
        if customer_at is None and speaker == "customer":
            customer_at = event.at
        elif customer_at is not None and speaker == "agent":
            return _seconds(customer_at, event.at)
    return None


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # count, ratio (0..1), seconds, score (-1..1)
    definition: str


KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    d.key: d
    for d in (
        KpiDefinition(
            "calls_handled", "Calls handled", "count",
            "Calls an agent answered (call_started) that have ended, counted in the interval the call was queued in.",
        ),
        KpiDefinition(
            "calls_abandoned", "Calls abandoned", "count",
            "Calls that ended before any agent answered because the customer hung up or dropped while "
            "waiting (end reason abandoned or dropped). Calls ended by a server shutdown are not counted.",
        ),
        KpiDefinition(
            "service_level", "Service level", "ratio",
            "Share of calls answered within EARSHOT_SERVICE_LEVEL_SECONDS of being queued, out of the calls "
            "handled plus the calls abandoned.",
        ),
        KpiDefinition(
            "average_speed_of_answer_s", "Average speed of answer", "seconds",
            "Mean seconds from call_queued to call_started over the calls handled.",
        ),
        KpiDefinition(
            "average_handle_time_s", "Average handle time", "seconds",
            "Mean of talk time (call_started to call_ended) plus wrap-up time (call_ended to "
            "call_wrapped_up) over handled calls that are wrapped up; a call not wrapped up yet is left out.",
        ),
        KpiDefinition(
            "first_response_time_s", "First response time", "seconds",
            "Mean seconds from the customer's first line (chat message or final transcript) to the agent's "
            "first line after it, over calls that have both.",
        ),
        KpiDefinition(
            "resolution_rate", "Resolution rate", "ratio",
            "Share of wrapped-up calls whose disposition is resolved.",
        ),
        KpiDefinition(
            "abandonment_rate", "Abandonment rate", "ratio",
            "Calls abandoned divided by calls handled plus calls abandoned.",
        ),
        KpiDefinition(
            "average_sentiment", "Average sentiment", "score",
            "Mean of every scored customer utterance (sentiment events, -1 to 1) over the calls in range.",
        ),
        KpiDefinition(
            "negative_call_share", "Calls ending negative", "ratio",
            "Share of calls with sentiment whose last scored customer utterance is labelled negative "
            "(a satisfaction proxy).",
        ),
        KpiDefinition(
            "suggestion_acceptance_rate", "Suggestion acceptance", "ratio",
            "Suggestions the agent marked accepted divided by suggestions the agent rated "
            "(the last feedback on a suggestion counts).",
        ),
        KpiDefinition(
            "utilization", "Agent utilization", "ratio",
            "Time agents spent in a call or in wrap-up divided by the time they were logged in and not "
            "unavailable (available, offered, in a call or in wrap-up), from the agent state log.",
        ),
        KpiDefinition(
            "reason", "Call reason", "label",
            "The action of the first suggestion answering the customer in a call (the assist intent, e.g. "
            "track_order); calls without a suggestion have no reason.",
        ),
    )
}
