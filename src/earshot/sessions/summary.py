"""The post-call summary, built offline from the call's log: deterministic, the same log gives the same summary.

Reason (the customer's first request and the intent assist saw in it), what was done (the customer
identified, suggestions the agent used), outcome (wrap-up, else how it ended), follow-ups, and the
customer's sentiment trend from the first to the last scored line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from earshot.calls.protocol import LoggedEvent

PROVIDER = "offline"
QUOTE_CHARS = 120
# Intents that say how to talk, not what the call is about.
GENERIC_ACTIONS = frozenset({"empathize", "ask_question", "verify_identity", "close_call"})
OPEN_FOLLOW_UPS = {
    "follow_up": "Call the customer back as agreed",
    "escalated": "Escalated: see that the escalation is picked up",
    "unresolved": "Unresolved: the issue is still open",
}
ENDINGS = {
    "hangup": "ended by the {by}",
    "dropped": "dropped (the {by}'s connection was lost)",
    "shutdown": "cut off when the server shut down",
}


@dataclass
class SummaryDraft:
    """The fields of a `call_summary` event, less the envelope the log adds."""

    reason: str
    actions: list[str] = field(default_factory=list)
    outcome: str = ""
    follow_ups: list[str] = field(default_factory=list)
    sentiment_start: float | None = None
    sentiment_end: float | None = None
    notes: str = ""
    provider: str = PROVIDER

    def payload(self) -> dict[str, Any]:
        return asdict(self)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def _label(action: str) -> str:
    return action.replace("_", " ")


def call_reason(events: Sequence[LoggedEvent]) -> str:
    first_line = next((e.text for e in events if _said(e) and e.speaker == "customer"), None)  # type: ignore[attr-defined]
    intent = next(
        (e for e in events if e.type == "suggestion" and e.action not in GENERIC_ACTIONS),  # type: ignore[attr-defined]
        None,
    )
    if intent is not None:
        return f'{_quote(intent.utterance)} ({_label(intent.action)})'  # type: ignore[attr-defined]
    if first_line:
        return _quote(first_line)
    return "Not stated"


def actions_taken(events: Sequence[LoggedEvent]) -> list[str]:
    actions: list[str] = []
    suggestions = {e.suggestion_id: e for e in events if e.type == "suggestion"}  # type: ignore[attr-defined]
    for event in events:
        if event.type == "customer_context" and event.status == "matched" and event.customer:  # type: ignore[attr-defined]
            line = f"Identified the customer: {event.customer.name}"  # type: ignore[attr-defined]
            if line not in actions:
                actions.append(line)
        elif event.type == "suggestion_feedback" and event.accepted:  # type: ignore[attr-defined]
            used = suggestions.get(event.suggestion_id)  # type: ignore[attr-defined]
            if used is not None:
                actions.append(f"{_label(used.action).capitalize()}: {_quote(used.suggestion)}")  # type: ignore[attr-defined]
    return actions


def call_outcome(events: Sequence[LoggedEvent]) -> str:
    wrapped = [e for e in events if e.type == "call_wrapped_up"]
    ended = next((e for e in events if e.type == "call_ended"), None)
    answered = any(e.type == "call_started" for e in events)
    parts: list[str] = []
    if wrapped:
        parts.append(_label(wrapped[-1].disposition).capitalize())  # type: ignore[attr-defined]
    if ended is not None:
        reason, by = ended.reason, ended.ended_by  # type: ignore[attr-defined]
        if reason == "abandoned" or not answered:
            parts.append("the customer left before an agent answered")
        else:
            parts.append("the call was " + ENDINGS.get(reason, reason).format(by=by))
    text = "; ".join(parts) or "still open"
    return text[0].upper() + text[1:]


def follow_ups(events: Sequence[LoggedEvent]) -> list[str]:
    items: list[str] = []
    wrapped = [e for e in events if e.type == "call_wrapped_up"]
    if wrapped and (open_item := OPEN_FOLLOW_UPS.get(wrapped[-1].disposition)):  # type: ignore[attr-defined]
        items.append(open_item)
    contexts = [e for e in events if e.type == "customer_context" and e.customer]  # type: ignore[attr-defined]
    if contexts:
        for ticket in contexts[-1].customer.open_tickets:  # type: ignore[attr-defined]
            items.append(f"Open ticket {ticket.id}: {ticket.subject}")
    if any(e.type == "suggestion" and e.action == "escalate" for e in events) and not any(  # type: ignore[attr-defined]
        i.startswith("Escalated") for i in items
    ):
        items.append("Escalation was suggested: check whether it is needed")
    return items


def _said(event: LoggedEvent) -> bool:
    return event.type in ("chat", "transcript") and getattr(event, "final", True)


def _trend(events: Iterable[LoggedEvent]) -> list[float]:
    return [round(e.trend, 2) for e in events if e.type == "sentiment"]  # type: ignore[attr-defined]


def offline_summary(events: Sequence[LoggedEvent]) -> SummaryDraft:
    """The summary of a call from its log alone (the `call_summary` event itself is ignored)."""
    events = [e for e in events if e.type != "call_summary"]
    trend = _trend(events)
    draft = SummaryDraft(
        reason=call_reason(events),
        actions=actions_taken(events),
        outcome=call_outcome(events),
        follow_ups=follow_ups(events),
        sentiment_start=trend[0] if trend else None,
        sentiment_end=trend[-1] if trend else None,
    )
    draft.notes = summary_notes(draft)
    return draft


def summary_notes(draft: SummaryDraft) -> str:
    """The summary as a few lines of prose, for the wrap-up notes."""
    lines = [f"Reason: {draft.reason}."]
    if draft.actions:
        lines.append("Done: " + "; ".join(draft.actions) + ".")
    lines.append(f"Outcome: {draft.outcome}.")
    if draft.follow_ups:
        lines.append("Follow-up: " + "; ".join(draft.follow_ups) + ".")
    if draft.sentiment_start is not None:
        lines.append(f"Sentiment: {draft.sentiment_start:+.2f} → {draft.sentiment_end:+.2f}.")
    return "\n".join(lines)
