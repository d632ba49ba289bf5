"""Agent assist as a stage after the event log: who is calling, how they feel, what to do next.

It listens to logged call events and logs its own (customer_context, sentiment,
sentiment_alert, suggestion), which reach the agent and supervisors, never the customer.

Which instance runs it: the one that logged the event. The hub calls its observers (this
stage, metrics, history) only for events committed in its own process; events arriving from
other instances over the bus go to sockets, never to observers. So each utterance gets one
sentiment and one suggestion however many instances serve the call, with no claim to take.
What assist remembers of a call is folded from the call's log (see `call_state`), so it does
not matter where the call's other events were logged, or whether this process saw them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from earshot.assist.call_state import CallStates
from earshot.assist.provider import SuggestionProvider
from earshot.assist.sentiment import OffLoopSentiment, SentimentAnalyzer, SentimentScore, SentimentTracker
from earshot.assist.types import SuggestionRequest
from earshot.calls.hub import CallError, CallHub
from earshot.calls.models import Call, CallStatus
from earshot.calls.protocol import ErrorCode, LoggedEvent
from earshot.customers.lookup import customer_context, resolve_caller
from earshot.db import Database

log = logging.getLogger(__name__)

DEFAULT_CACHED_CALLS = 2000


@dataclass
class _CallWork:
    """This process's assist tasks for one call; gone once none is running."""

    pending: asyncio.Task[None] | None = None  # the suggestion for the latest utterance
    scoring: asyncio.Task[None] | None = None  # the latest utterance's sentiment
    resolving: asyncio.Task[None] | None = None  # looking up who is calling

    def running(self) -> bool:
        return any(task is not None and not task.done() for task in (self.pending, self.scoring, self.resolving))


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
        cached_calls: int = DEFAULT_CACHED_CALLS,
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
        self.states = CallStates(db, lambda: SentimentTracker(alert_threshold=threshold), cached_calls)
        self._work: dict[str, _CallWork] = {}
        self._tasks: dict[asyncio.Task[None], str] = {}  # task -> its call
        hub.observers.append(self.on_event)

    @property
    def saturated(self) -> bool:
        """Its backlog is full: new utterances are being shed (and the server is strained)."""
        return len(self._tasks) >= self.max_backlog

    def on_event(self, event: LoggedEvent) -> None:
        """Called by the hub for every event logged by this process, after it was published."""
        self.states.observe(event)
        kind = getattr(event, "type", "")
        if kind == "call_started":
            self._work_of(event.call_id).resolving = self._spawn(event.call_id, self._resolve(event.call_id))
        elif kind in ("chat", "transcript") and getattr(event, "final", True):
            if event.speaker == "customer":  # type: ignore[attr-defined]
                self._customer_said(event.call_id, event.seq or 0, event.text)  # type: ignore[attr-defined]
        elif kind == "call_ended":
            work = self._work.get(event.call_id)
            if work is not None and work.pending is not None:
                work.pending.cancel()

    def _work_of(self, call_id: str) -> _CallWork:
        return self._work.setdefault(call_id, _CallWork())

    def _customer_said(self, call_id: str, seq: int, text: str) -> None:
        work = self._work_of(call_id)
        # A newer utterance supersedes the suggestion still being worked out for an older one.
        if work.pending is not None and not work.pending.done():
            work.pending.cancel()
        if self.saturated or self.overloaded():
            self.shed += 1
            log.warning(
                "assist shed (%d tasks in flight): call %s seq %d gets no suggestion (%d shed)",
                len(self._tasks), call_id, seq, self.shed,
            )
            return
        work.scoring = self._spawn(call_id, self._score_sentiment(call_id, seq, text, work.scoring))
        work.pending = self._spawn(call_id, self._suggest(call_id, seq, text, work.resolving))

    async def _score_sentiment(self, call_id: str, seq: int, text: str, previous: asyncio.Task[None] | None) -> None:
        score = await self._score(text)
        if previous is not None:
            await asyncio.wait([previous])  # the trend takes utterances in the order they were said
        # The previous utterance's sentiment may have been logged after this one: it was logged here.
        state = await self.states.as_logged_here(call_id)
        update = state.tracker.preview(score)  # the tracker itself moves when the sentiment is logged
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

    async def _suggest(self, call_id: str, seq: int, text: str, resolving: asyncio.Task[None] | None) -> None:
        if resolving is not None:
            await asyncio.wait([resolving])
        # A caller who speaks before the lookup is logged (here or on the instance that started the
        # call) still gets advice about their own record.
        state = await self.states.until_identified(call_id, seq)
        request = SuggestionRequest(utterance=text, history=state.turns_before(seq), customer=state.customer)
        suggestion = await self.provider.suggest(request)
        await self.hub.log_event(
            call_id, "suggestion", suggestion_id=uuid.uuid4().hex[:12], answers_seq=seq, **suggestion.model_dump(mode="json")
        )

    async def _resolve(self, call_id: str) -> None:
        async with self.db.sessions() as session:
            call = await session.get(Call, call_id)
            if call is None or call.customer_id is not None:
                # Known already: a transferred call's next agent gets the record its first agent
                # had (or attached) from the log, not a fresh guess from the caller's details.
                return
            resolution = await resolve_caller(
                session, name=call.customer_name, email=call.customer_email, phone=call.customer_phone
            )
            if resolution.customer is not None:
                call.customer_id = resolution.customer.id
                await session.commit()
        if not self.hub.is_active(call_id):
            return  # the call ended while the caller was being looked up
        await self.hub.log_event(
            call_id,
            "customer_context",
            status=resolution.status,
            reason="caller_id",
            customer=resolution.customer.model_dump(mode="json") if resolution.customer else None,
            candidates=[c.model_dump(mode="json") for c in resolution.candidates],
        )

    async def attach(self, call_id: str, customer_id: int, reason: str = "attached") -> None:
        """The agent says who the caller is (or the record changed): refresh the panel.

        The logged `customer_context` reaches the call's parties over the bus wherever their
        sockets are, and the next suggestion reads the record from the log.
        """
        async with self.db.sessions() as session:
            context = await customer_context(session, customer_id)
            if context is None:
                raise CallError(ErrorCode.not_found, f"no customer {customer_id}")
            call = await session.get(Call, call_id)
            if call is not None:
                call.customer_id = customer_id
                await session.commit()
        await self.hub.log_event(
            call_id, "customer_context", status="matched", reason=reason, customer=context.model_dump(mode="json")
        )

    async def customer_updated(self, customer_id: int) -> None:
        """A ticket or record changed: every live call about this customer gets the new context, once.

        The calls come from the database, not this process's memory: the instance that took the
        change logs the refresh for calls served anywhere, and no other instance does.
        """
        async with self.db.sessions() as session:
            live = select(Call.id).where(Call.customer_id == customer_id, Call.status == CallStatus.active)
            call_ids = list((await session.execute(live.order_by(Call.queued_at))).scalars())
        for call_id in call_ids:
            await self.attach(call_id, customer_id, reason="updated")

    async def feedback(self, call_id: str, suggestion_id: str, accepted: bool, agent_id: int) -> None:
        """The agent's verdict on a suggestion of this call, logged once (a repeat of the last one is not logged).

        Any instance may take it: the call's suggestions are read from its log, wherever they were made.
        """
        state = await self.states.get(call_id)
        if suggestion_id not in state.suggestion_ids:
            raise CallError(ErrorCode.not_found, "no such suggestion in this call")
        if state.feedback.get(suggestion_id) == accepted:
            return  # sent again (a resend after a reconnect, a double click): it is in the log already
        await self.hub.log_event(
            call_id, "suggestion_feedback", suggestion_id=suggestion_id, accepted=accepted, agent_id=agent_id
        )

    def _spawn(self, call_id: str, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks[task] = call_id
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        call_id = self._tasks.pop(task, None)
        work = self._work.get(call_id) if call_id is not None else None
        if call_id is not None and work is not None and not work.running():
            del self._work[call_id]  # nothing left to supersede or wait for: the call's memory is its log
        if not task.cancelled() and task.exception() is not None:
            log.error("assist task failed", exc_info=task.exception())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
