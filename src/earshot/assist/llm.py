"""Suggestions from any OpenAI-compatible chat endpoint, with a local provider as the safety net.

Works with OpenAI, Azure OpenAI, vLLM, Ollama and the llama.cpp server: one `POST
{base_url}/chat/completions` asking for a JSON object. Everything said on the call, and
the customer record's free text, goes through `redact()` first, so card numbers and IDs
never leave the machine. Any failure (slow, down, HTTP error, not JSON, wrong schema)
is logged and answered by the fallback provider instead, so the agent always gets a
suggestion within about `timeout` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, Field, ValidationError

from earshot.assist.redact import redact_text
from earshot.assist.types import Action, SourceRef, Suggestion, SuggestionRequest
from earshot.customers.schemas import CustomerContext

if TYPE_CHECKING:
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.provider import SuggestionProvider

log = logging.getLogger(__name__)

ARTICLES = 3
HISTORY_TURNS = 20
CONTEXT_ITEMS = 5

SYSTEM_PROMPT = (
    "You assist a call-center agent during a live customer call. You never speak to the "
    'customer: you write to the agent, telling them what to say or do next ("Apologise and '
    'offer ...", "Ask for ..."). Be specific to this customer, using their record and the '
    "knowledge-base articles when they apply; never invent order numbers, amounts or policies "
    "that are not given. Bracketed text such as [card ending 1111] or [SSN] stands for "
    "redacted personal data.\n"
    "Reply with one JSON object only, with exactly these keys:\n"
    '  "suggestion": what the agent should say or do next, one or two sentences;\n'
    '  "reasoning": why, in one short sentence;\n'
    f'  "action": one of {", ".join(a.value for a in Action)};\n'
    '  "confidence": a number from 0 to 1, how sure you are this is the right next step.'
)


class LlmAnswer(BaseModel):
    """The JSON object the model must answer with."""

    suggestion: str = Field(min_length=1, max_length=2000)
    reasoning: str = Field(default="", max_length=2000)
    action: Action
    confidence: float = Field(ge=0, le=1)


class LlmError(Exception):
    """The endpoint answered, but not with a usable suggestion."""


class LlmProvider:
    name = "llm"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float = 2.5,
        *,
        fallback: SuggestionProvider,
        knowledge: KnowledgeBase | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.fallback = fallback
        self.knowledge = knowledge
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout))

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        query = redact_text(request.utterance)
        articles = self.knowledge.search(query, ARTICLES) if self.knowledge is not None else []
        try:
            # One deadline for the whole exchange: httpx's timeouts are per phase.
            async with asyncio.timeout(self.timeout):
                answer = await self._ask(self._messages(request, articles))
        except (TimeoutError, httpx.TimeoutException):
            reason = f"timed out after {self.timeout:g} s"
        except httpx.HTTPStatusError as exc:
            reason = f"HTTP {exc.response.status_code}"
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except LlmError as exc:
            reason = str(exc)
        else:
            return Suggestion(
                suggestion=answer.suggestion,
                reasoning=answer.reasoning,
                action=answer.action,
                confidence=answer.confidence,
                sources=[SourceRef(id=a.id, title=a.title) for a in articles],
                utterance=request.utterance,
                provider=self.name,
            )
        return await self._fall_back(request, reason)

    async def aclose(self) -> None:
        await self._client.aclose()
        await self.fallback.aclose()

    async def _ask(self, messages: list[dict[str, str]]) -> LlmAnswer:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
            "max_tokens": 400,
        }
        response = await self._client.post(self.url, json=body, headers=self._headers)
        response.raise_for_status()
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError("the response is not a chat completion") from exc
        return parse_answer(content)

    def _messages(self, request: SuggestionRequest, articles: list[Any]) -> list[dict[str, str]]:
        """The system prompt and one user message; every piece of text in it is redacted here."""
        parts = ["Customer record: " + (_customer_json(request.customer) if request.customer else "not identified yet")]
        if articles:
            parts.append("Knowledge-base articles:")
            parts += [f"- [{a.id}] {redact_text(a.title)}: {redact_text(a.snippet)}" for a in articles]
        history = request.history[-HISTORY_TURNS:]
        if history:
            parts.append("Conversation so far:")
            parts += [f"{turn.speaker.capitalize()}: {redact_text(turn.text)}" for turn in history]
        parts.append(f"The customer just said: {json.dumps(redact_text(request.utterance))}")
        parts.append("What should the agent do next? Answer with the JSON object only.")
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(parts)}]

    async def _fall_back(self, request: SuggestionRequest, reason: str) -> Suggestion:
        fallback_name = getattr(self.fallback, "name", "fallback")
        log.warning("LLM suggestion failed (%s); answering with %s", reason, fallback_name)
        suggestion = await self.fallback.suggest(request)
        note = f"LLM unavailable ({reason}); {fallback_name} fallback."
        return suggestion.model_copy(update={"reasoning": f"{suggestion.reasoning} [{note}]".strip()})


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_answer(content: object) -> LlmAnswer:
    """The model's message content as a validated answer (a ```json fence is tolerated)."""
    if not isinstance(content, str):
        raise LlmError("the message has no text content")
    fenced = _FENCE.match(content)
    try:
        data = json.loads(fenced.group(1) if fenced else content)
    except ValueError as exc:
        raise LlmError(f"the content is not JSON: {content[:60]!r}") from exc
    try:
        return LlmAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise LlmError(f"the JSON does not fit the schema: {where}: {first['msg']}") from exc


def _customer_json(customer: CustomerContext) -> str:
    """The record, compact, without contact details, with its free text redacted."""
    data = {
        "name": customer.name,
        "status": customer.status,
        "lifetime_value": customer.lifetime_value,
        "recent_orders": [
            {
                "number": o.number,
                "placed": o.placed_at.date().isoformat(),
                "status": o.status,
                "total": o.total,
                "items": redact_text(o.items),
                "carrier": o.carrier,
                "tracking_number": o.tracking_number,
                "expected_delivery": o.expected_delivery.isoformat() if o.expected_delivery else None,
            }
            for o in customer.recent_orders[:CONTEXT_ITEMS]
        ],
        "open_tickets": [
            {"id": t.id, "subject": redact_text(t.subject), "status": t.status, "priority": t.priority}
            for t in customer.open_tickets[:CONTEXT_ITEMS]
        ],
    }
    return json.dumps(data, separators=(",", ":"))
