"""`earshot assist`: suggestions from the command line (one, or a JSON-lines file of them), through the same engine as live calls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from earshot.assist.factory import Assist, create_assist
from earshot.assist.types import Suggestion, SuggestionRequest, Turn
from earshot.config import Settings
from earshot.customers.lookup import customer_context
from earshot.customers.schemas import CustomerContext
from earshot.db import Database

_LINE = re.compile(r"^\s*(customer|agent)\s*:\s*(.+)$", re.IGNORECASE)


class AssistInputError(Exception):
    """Input the command cannot use: says what to fix."""


def read_history(path: Path) -> list[Turn]:
    """A JSON list of {speaker, text}, or lines such as `agent: How can I help?`."""
    raw = path.read_text(encoding="utf-8")
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if data is not None:
        try:
            return [Turn.model_validate(item) for item in data]
        except (ValidationError, TypeError) as exc:
            raise AssistInputError(f"{path}: expected a JSON list of {{speaker, text}} objects") from exc
    turns = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise AssistInputError(f"{path}:{number}: expected 'customer: ...' or 'agent: ...'")
        turns.append(Turn(speaker=match.group(1).lower(), text=match.group(2).strip()))
    return turns


async def suggest_once(settings: Settings, text: str, history_file: Path | None, customer_id: int | None) -> Suggestion:
    if not text.strip():
        raise AssistInputError("the utterance is empty")
    history = read_history(history_file) if history_file is not None else []
    customer = None
    if customer_id is not None:
        db = Database(settings.resolved_database_url)
        try:
            await db.migrate()
            async with db.sessions() as session:
                customer = await customer_context(session, customer_id)
        finally:
            await db.close()
        if customer is None:
            raise AssistInputError(f"no customer {customer_id} in {settings.resolved_database_url}")
    # One suggestion: starting a worker process would cost more than the work itself.
    assist = create_assist(settings.model_copy(update={"assist_workers": 0}))
    try:
        redact = assist.redact
        request = SuggestionRequest(
            utterance=redact(text),
            history=[Turn(speaker=t.speaker, text=redact(t.text)) for t in history],
            customer=customer,
        )
        return await assist.provider.suggest(request)
    finally:
        await assist.provider.aclose()


class BatchItem(BaseModel):
    """One line of a batch file; other fields (a label, a source) are allowed and ignored."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=4000)
    history: list[Turn] = Field(default_factory=list, max_length=200)
    customer_id: int | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the utterance is empty")
        return text


def parse_batch_line(line: str) -> BatchItem:
    """A batch line as an item; AssistInputError says what is wrong with it."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise AssistInputError(f"not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise AssistInputError('expected an object such as {"text": "...", "history": [...], "customer_id": 1}')
    try:
        return BatchItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()[:3])
        raise AssistInputError(problems) from exc


async def suggest_batch(settings: Settings, lines: Iterable[str], write: Callable[[str], None]) -> int:
    """One JSON line out per line in: the suggestion plus the utterance's sentiment, or
    {"line", "error"} for a line that cannot be used. The engine (and the database, if a line
    names a customer) is opened once. Returns how many lines were refused."""
    assist = create_assist(settings.model_copy(update={"assist_workers": 0}))
    refused = 0
    async with AsyncExitStack() as stack:
        stack.push_async_callback(assist.provider.aclose)
        customers = _CustomerLookup(settings, stack)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = parse_batch_line(line)
                customer = await customers.get(item.customer_id) if item.customer_id is not None else None
                write(json.dumps(await _suggest_with_sentiment(assist, item, customer)))
            except AssistInputError as exc:
                refused += 1
                write(json.dumps({"line": number, "error": str(exc)}))
    return refused


async def _suggest_with_sentiment(assist: Assist, item: BatchItem, customer: CustomerContext | None) -> dict[str, object]:
    redact = assist.redact
    utterance = redact(item.text)
    request = SuggestionRequest(
        utterance=utterance,
        history=[Turn(speaker=t.speaker, text=redact(t.text)) for t in item.history],
        customer=customer,
    )
    suggestion = await assist.provider.suggest(request)
    sentiment = assist.sentiment.score(utterance)
    return suggestion.model_dump(mode="json") | {
        "sentiment": {"label": sentiment.label, "score": sentiment.score, "confidence": sentiment.confidence}
    }


class _CustomerLookup:
    """Customer records for batch lines, from a database opened on first need and closed with the stack."""

    def __init__(self, settings: Settings, stack: AsyncExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self._db: Database | None = None

    async def get(self, customer_id: int) -> CustomerContext:
        if self._db is None:
            self._db = Database(self.settings.resolved_database_url)
            self.stack.push_async_callback(self._db.close)
            await self._db.migrate()
        async with self._db.sessions() as session:
            customer = await customer_context(session, customer_id)
        if customer is None:
            raise AssistInputError(f"no customer {customer_id} in {self.settings.resolved_database_url}")
        return customer
