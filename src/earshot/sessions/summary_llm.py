"""The post-call summary written by an OpenAI-compatible chat endpoint, falling back to the offline one.

Same rules as LLM suggestions (assist/llm.py): everything said is redacted before it leaves the
machine, one deadline for the whole exchange, and any failure is logged and answered offline.
The sentiment figures always come from the log, never from the model.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

import httpx
from pydantic import BaseModel, Field, ValidationError

from earshot.assist.redact import redact_text
from earshot.calls.protocol import LoggedEvent
from earshot.sessions.summary import SummaryDraft, offline_summary, summary_notes

log = logging.getLogger(__name__)

PROVIDER = "llm"
MAX_LINES = 200  # the last lines of a long call; the offline draft covers the rest
SYSTEM_PROMPT = (
    "You summarise a finished customer-service call for the agent's wrap-up notes. Use only what the "
    "transcript and the notes given say; never invent order numbers, amounts or promises. Bracketed text "
    "such as [card ending 1111] stands for redacted personal data.\n"
    "Reply with one JSON object only, with exactly these keys:\n"
    '  "reason": why the customer called, one sentence;\n'
    '  "actions": list of short strings, what the agent did;\n'
    '  "outcome": how the call ended, one sentence;\n'
    '  "follow_ups": list of short strings, what is still to do (may be empty).'
)


class LlmSummary(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    actions: list[str] = Field(max_length=20)
    outcome: str = Field(min_length=1, max_length=500)
    follow_ups: list[str] = Field(max_length=20)


class LlmSummarizer:
    """Asks the model for the summary; `summarize` never raises and never takes much over `timeout`."""

    def __init__(
        self, base_url: str, api_key: str, model: str, timeout: float, client: httpx.AsyncClient | None = None
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def summarize(self, events: Sequence[LoggedEvent]) -> SummaryDraft:
        draft = offline_summary(events)
        if not _said(events):  # nothing to summarise (a caller who left the queue): no request
            return draft
        try:
            async with asyncio.timeout(self.timeout):
                answer = await self._ask(events, draft)
        except (TimeoutError, httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, ValidationError) as exc:
            log.warning("LLM summary of call %s failed (%s); using the offline one", _call_id(events), _why(exc))
            return draft
        written = SummaryDraft(
            reason=answer.reason,
            actions=answer.actions,
            outcome=answer.outcome,
            follow_ups=answer.follow_ups,
            sentiment_start=draft.sentiment_start,
            sentiment_end=draft.sentiment_end,
            provider=PROVIDER,
        )
        written.notes = summary_notes(written)
        return written

    async def _ask(self, events: Sequence[LoggedEvent], draft: SummaryDraft) -> LlmSummary:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": _prompt(events, draft)}],
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
            "max_tokens": 500,
        }
        response = await self._client.post(self.url, json=body, headers=self._headers)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        if content.strip().startswith("```"):
            content = content.strip().strip("`").removeprefix("json")
        return LlmSummary.model_validate(json.loads(content))


def _said(events: Sequence[LoggedEvent]) -> list[LoggedEvent]:
    return [e for e in events if e.type in ("chat", "transcript") and getattr(e, "final", True)]


def _prompt(events: Sequence[LoggedEvent], draft: SummaryDraft) -> str:
    lines = [f"{e.speaker.capitalize()}: {redact_text(e.text)}" for e in _said(events)][-MAX_LINES:]  # type: ignore[attr-defined]
    notes = redact_text(summary_notes(draft))
    return "Transcript:\n" + "\n".join(lines or ["(nothing was said)"]) + "\n\nNotes from the call's log:\n" + notes


def _call_id(events: Sequence[LoggedEvent]) -> str:
    return events[0].call_id if events else "?"


def _why(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timed out"
    return f"{type(exc).__name__}: {str(exc)[:80]}"
