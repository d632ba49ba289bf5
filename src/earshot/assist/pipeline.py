"""Agent assist as a stage after the event log: who is calling, how they feel, what to do next.

It listens to logged call events and logs its own (customer_context, sentiment,
sentiment_alert, suggestion), which reach the agent and supervisors, never the customer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from earshot.assist.provider import SuggestionProvider
from earshot.assist.sentiment import OffLoopSentiment, SentimentAnalyzer, SentimentScore, SentimentTracker
from earshot.assist.types import SuggestionRequest, Turn
from earshot.calls.hub import CallError, CallHub
from earshot.calls.models import Call
from earshot.calls.protocol import ErrorCode, LoggedEvent
from earshot.customers.lookup import customer_context, resolve_caller
from earshot.customers.schemas import CustomerContext
from earshot.db import Database

log = logging.getLogger(__name__)

HISTORY_TURNS = 30


@dataclass
class _CallAssist:
    """What assist remembers of one live call."""

    tracker: SentimentTracker
    history: list[Turn] = field(default_factory=list)
    customer: CustomerContext | None = None
    suggestion_ids: set[str] = field(default_factory=set)
    pending: asyncio.Task[None] | None = None
    resolving: asyncio.Task[None] | None = None  # looking up who is calling
    scoring: asyncio.Task[None] | None = None  # the latest utterance's sentiment


class AssistPipeline:
    def __init__(
        self,
        hub: CallHub,
        db: Database,
        provider: SuggestionProvider,
        sentiment: SentimentAnalyzer,
        threshold: float,
        max_backlog: int = 64,
        overloaded: Callable[[], bool] = lambda: False,
    ) -> None:
        self.hub = hub
        self.db = db
        self.provider = provider
        self.sentiment = sentiment
        self.threshold = threshold
        # Overflow policy: with this many assist tasks in flight, or while the server is overloaded,
        # a new utterance gets no sentiment and no suggestion (counted in `shed`): assist is shed
        # before chat and calls suffer.
        self.max_backlog = max_backlog
        self.overloaded = overloaded
        self.shed = 0
        self._calls: dict[str, _CallAssist] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        hub.observers.append(self.on_event)

    @property
    def saturated(self) -> bool:
        """Its backlog is full: new utterances are being shed (and the server is strained)."""
        return len(self._tasks) >= self.max_backlog

    def on_event(self, event: LoggedEvent) -> None:
        """Called by the hub for every logged event, after it was published."""
        kind = getattr(event, "type", "")
        if kind == "call_started":
            self._state(event.call_id).resolving = self._spawn(self._resolve(event.call_id))
        elif kind in ("chat", "transcript") and getattr(event, "final", True):
            state = self._state(event.call_id)
            text: str = event.text  # type: ignore[attr-defined]
            state.history.append(Turn(speaker=event.speaker, text=text))  # type: ignore[attr-defined]
            del state.history[:-HISTORY_TURNS]
            if event.speaker == "customer":  # type: ignore[attr-defined]
                self._customer_said(event.call_id, event.seq or 0, text, state)
        elif kind == "call_ended":
            state = self._calls.pop(event.call_id, None)
            if state is not None and state.pending is not None:
                state.pending.cancel()

    def _state(self, call_id: str) -> _CallAssist:
        if call_id not in self._calls:
            self._calls[call_id] = _CallAssist(SentimentTracker(alert_threshold=self.threshold))
        return self._calls[call_id]

    def _customer_said(self, call_id: str, seq: int, text: str, state: _CallAssist) -> None:
        # A newer utterance supersedes the suggestion still being worked out for an older one.
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        if self.saturated or self.overloaded():
            self.shed += 1
            log.warning(
                "assist shed (%d tasks in flight): call %s seq %d gets no suggestion (%d shed)",
                len(self._tasks), call_id, seq, self.shed,
            )
            return
        state.scoring = self._spawn(self._score_sentiment(call_id, seq, text, state, state.scoring))
        history = list(state.history[:-1])
        state.pending = self._spawn(self._suggest(call_id, seq, text, history, state))

    async def _score_sentiment(
        self, call_id: str, seq: int, text: str, state: _CallAssist, previous: asyncio.Task[None] | None
    ) -> None:
        score = await self._score(text)
        if previous is not None:
            await asyncio.wait([previous])  # the trend takes utterances in the order they were said
        update = state.tracker.add(score)
        await self.hub.log_event(
            call_id,
            "sentiment",
            utterance_seq=seq,
            score=round(update.score.score, 3),
            label=update.score.label,
            confidence=round(update.score.confidence, 3),
            trend=round(update.trend, 3),
            trend_delta=round(update.trend_delta, 3),
        )
        if update.alert:
            await self.hub.log_event(
                call_id,
                "sentiment_alert",
                utterance_seq=seq,
                score=round(update.score.score, 3),
                trend=round(update.trend, 3),
                reason=update.alert,
            )

    async def _score(self, text: str) -> SentimentScore:
        # Scoring embeds the utterance (milliseconds of numpy holding the GIL): in a worker process
        # when the analyser has them, else at least off the event loop's thread.
        if isinstance(self.sentiment, OffLoopSentiment):
            return await self.sentiment.score_off_loop(text)
        return await asyncio.to_thread(self.sentiment.score, text)

    async def _suggest(self, call_id: str, seq: int, text: str, history: list[Turn], state: _CallAssist) -> None:
        if state.resolving is not None:
            # A caller who speaks before the lookup is done still gets advice about their own record.
            await asyncio.wait([state.resolving])
        request = SuggestionRequest(utterance=text, history=history, customer=state.customer)
        suggestion = await self.provider.suggest(request)
        suggestion_id = uuid.uuid4().hex[:12]
        state.suggestion_ids.add(suggestion_id)
        await self.hub.log_event(
            call_id, "suggestion", suggestion_id=suggestion_id, answers_seq=seq, **suggestion.model_dump(mode="json")
        )

    async def _resolve(self, call_id: str) -> None:
        async with self.db.sessions() as session:
            call = await session.get(Call, call_id)
            if call is None:
                return
            resolution = await resolve_caller(
                session, name=call.customer_name, email=call.customer_email, phone=call.customer_phone
            )
            if resolution.customer is not None:
                call.customer_id = resolution.customer.id
                await session.commit()
        state = self._calls.get(call_id)
        if state is None:
            return  # the call ended while the caller was being looked up
        state.customer = resolution.customer
        await self.hub.log_event(
            call_id,
            "customer_context",
            status=resolution.status,
            reason="caller_id",
            customer=resolution.customer.model_dump(mode="json") if resolution.customer else None,
            candidates=[c.model_dump(mode="json") for c in resolution.candidates],
        )

    async def attach(self, call_id: str, customer_id: int, reason: str = "attached") -> None:
        """The agent says who the caller is (or the record changed): refresh the panel."""
        async with self.db.sessions() as session:
            context = await customer_context(session, customer_id)
            if context is None:
                raise CallError(ErrorCode.not_found, f"no customer {customer_id}")
            call = await session.get(Call, call_id)
            if call is not None:
                call.customer_id = customer_id
                await session.commit()
        state = self._calls.get(call_id)
        if state is not None:  # during wrap-up the record is still attached, for the history
            state.customer = context
        await self.hub.log_event(
            call_id, "customer_context", status="matched", reason=reason, customer=context.model_dump(mode="json")
        )

    async def customer_updated(self, customer_id: int) -> None:
        """A ticket or record changed: every live call about this customer gets the new context."""
        for call_id, state in list(self._calls.items()):
            if state.customer is not None and state.customer.id == customer_id:
                await self.attach(call_id, customer_id, reason="updated")

    async def feedback(self, call_id: str, suggestion_id: str, accepted: bool, agent_id: int) -> None:
        state = self._calls.get(call_id)
        if state is None or suggestion_id not in state.suggestion_ids:
            raise CallError(ErrorCode.not_found, "no such suggestion in this call")
        await self.hub.log_event(
            call_id, "suggestion_feedback", suggestion_id=suggestion_id, accepted=accepted, agent_id=agent_id
        )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("assist task failed", exc_info=task.exception())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
