"""`earshot assist`: one suggestion from the command line, through the same engine as live calls."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from earshot.assist.factory import create_assist
from earshot.assist.types import Suggestion, SuggestionRequest, Turn
from earshot.config import Settings
from earshot.customers.lookup import customer_context
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
