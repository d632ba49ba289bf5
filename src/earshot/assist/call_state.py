"""What assist knows of one call, folded from the call's event log and rebuilt from it on first need.

A call's events are logged on several instances (the customer's lines where the customer's
socket is, the agent's where the agent's is, feedback wherever the agent sends it), and an
instance may restart mid-call. So this memory is never the only copy: it is the log folded up
to `seq`. A cached state catches up by reading the events after `seq`; events apply strictly in
seq order, so one seen twice (observed here and read back from the log) counts once.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from earshot.assist.sentiment import SentimentScore, SentimentTracker
from earshot.assist.types import Turn
from earshot.calls.protocol import (
    CallEnded,
    CallStarted,
    Chat,
    CustomerContextEvent,
    LoggedEvent,
    SentimentEvent,
    SuggestionEvent,
    SuggestionFeedbackEvent,
    Transcript,
)
from earshot.customers.schemas import CustomerContext
from earshot.db import Database, utcnow
from earshot.sessions.log import read_events, to_message

HISTORY_TURNS = 30
IDENTIFY_WAIT_SECONDS = 2.0
"""How long after a call starts a suggestion waits for the caller's record (looked up elsewhere, maybe)."""
POLL_SECONDS = 0.05


@dataclass
class CallAssistState:
    """One call's log, folded: the conversation so far, who the caller is, the mood, the suggestions."""

    call_id: str
    tracker: SentimentTracker
    seq: int = 0
    history: deque[tuple[int, Turn]] = field(default_factory=lambda: deque(maxlen=HISTORY_TURNS))
    started_at: datetime | None = None
    identified: bool = False  # a customer_context was logged (matched, ambiguous or unknown)
    customer: CustomerContext | None = None
    suggestion_ids: set[str] = field(default_factory=set)
    feedback: dict[str, bool] = field(default_factory=dict)  # suggestion_id -> the latest verdict
    ended: bool = False
    behind: bool = False  # an event after a gap was seen: the log holds ones this state lacks

    def apply(self, event: LoggedEvent) -> bool:
        """Fold in the event after `seq`; any other one changes nothing (False): it is old, or early."""
        if event.seq != self.seq + 1:
            return False
        self.seq = event.seq
        if isinstance(event, Chat | Transcript) and getattr(event, "final", True):
            self.history.append((event.seq, Turn(speaker=str(event.speaker), text=event.text)))
        elif isinstance(event, SentimentEvent):
            self.tracker.add(SentimentScore(event.score, event.label, event.confidence))
        elif isinstance(event, SuggestionEvent):
            self.suggestion_ids.add(event.suggestion_id)
        elif isinstance(event, SuggestionFeedbackEvent):
            self.feedback[event.suggestion_id] = event.accepted
        elif isinstance(event, CustomerContextEvent):
            self.identified, self.customer = True, event.customer
        elif isinstance(event, CallStarted):
            self.started_at = event.at
        elif isinstance(event, CallEnded):
            self.ended = True
        return True

    def turns_before(self, seq: int) -> list[Turn]:
        """The conversation before the event `seq` (the last `HISTORY_TURNS` lines)."""
        return [turn for turn_seq, turn in self.history if turn_seq < seq]

    def awaiting_identity(self, now: datetime) -> bool:
        """The caller's lookup is still due: the call started moments ago and nobody logged who it is."""
        if self.identified or self.started_at is None:
            return False
        return now < self.started_at + timedelta(seconds=IDENTIFY_WAIT_SECONDS)


class CallStates:
    """Per-call states, cached most recently used first, at most `max_calls` of them.

    A call's state goes when its end is folded in (observed here or read from the log) or when
    `max_calls` newer ones push it out; either way the log can rebuild it.
    """

    def __init__(self, db: Database, new_tracker: Callable[[], SentimentTracker], max_calls: int) -> None:
        self.db = db
        self.new_tracker = new_tracker
        self.max_calls = max_calls
        self.rebuilt = 0  # states built from the log (a restart, or a call whose events were logged elsewhere)
        self.reads = 0  # reads of the log, rebuilding or catching up
        self._states: OrderedDict[str, CallAssistState] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, call_id: str) -> bool:
        return call_id in self._states

    def observe(self, event: LoggedEvent) -> None:
        """An event logged here: folded in at once when it is the next one; otherwise read back later."""
        state = self._states.get(event.call_id)
        if state is None:
            return
        if state.apply(event):
            if state.ended:
                self._forget(state)
        elif (event.seq or 0) > state.seq:
            state.behind = True  # events logged elsewhere came between: the log has them

    async def as_logged_here(self, call_id: str) -> CallAssistState:
        """The call's state with every event this process logged, reading the log only when that needs it.

        Enough for what one instance's own results build on: a call's sentiments are logged where
        its customer's lines are, and a customer who moved here from another instance leaves a gap
        in the seqs this process sees, which makes the state read the log. A busy instance saves a
        read of the log per customer line.
        """
        state = self._states.get(call_id)
        if state is None or state.behind:
            return await self.get(call_id)
        self._states.move_to_end(call_id)
        return state

    async def get(self, call_id: str, through: int | None = None) -> CallAssistState:
        """The call's state with at least the events up to `through` folded in (None: all logged so far).

        An ended call's state is handed back but not kept.
        """
        state = self._states.get(call_id)
        if state is None:
            state = CallAssistState(call_id, self.new_tracker())
            self.rebuilt += 1
            self._states[call_id] = state
            while len(self._states) > self.max_calls:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(call_id)
        if through is None or state.seq < through:
            await self._catch_up(state)
        return state

    async def until_identified(self, call_id: str, through: int) -> CallAssistState:
        """The state once the caller's lookup is logged, or once waiting for it is no longer worth it."""
        state = await self.get(call_id, through)
        while state.awaiting_identity(utcnow()):
            await asyncio.sleep(POLL_SECONDS)
            state = await self.get(call_id)
        return state

    async def _catch_up(self, state: CallAssistState) -> None:
        # Cleared before reading: an event observed out of order meanwhile, which the read may
        # have missed, marks the state again.
        state.behind = False
        self.reads += 1
        async with self.db.sessions() as session:
            rows = await read_events(session, state.call_id, state.seq)
        for row in rows:
            state.apply(to_message(row))
        if state.ended:
            self._forget(state)

    def _forget(self, state: CallAssistState) -> None:
        if self._states.get(state.call_id) is state:
            del self._states[state.call_id]
