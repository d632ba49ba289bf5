"""The offline suggestion provider: a YAML playbook of intents, matched and filled in with the customer's facts.

Deterministic and local: the same utterance, history and record always give the same
suggestion. The playbook (`playbook.yaml` beside this module, or the file in
`EARSHOT_ASSIST_PLAYBOOK_PATH`) says what customers may want and what the agent should
do about it; `intents` finds which intent an utterance expresses, `facts` fills the
response template with order numbers, dates and amounts, and the knowledge base gives the
articles to cite.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from earshot.assist.facts import FLAGS, PLACEHOLDERS, Facts, gather_facts
from earshot.assist.intents import IntentMatch, IntentMatcher, SentenceEncoder
from earshot.assist.knowledge import KnowledgeBase
from earshot.assist.types import Action, SourceRef, Suggestion, SuggestionRequest

SHIPPED_PLAYBOOK = Path(__file__).with_name("playbook.yaml")
MAX_SOURCES = 2
# On the held-out calls, suggestions above 0.9 were right 97% of the time: never claim certainty.
MAX_CONFIDENCE = 0.98
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PlaybookError(Exception):
    """A playbook that cannot be used; raised at start-up with the file and the reason."""


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    embedding: float = Field(default=0.55, ge=0)
    lexical: float = Field(default=0.35, ge=0)
    cue: float = Field(default=0.3, ge=0)
    classifier: float = Field(default=0.25, ge=0)
    cue_early_discount: float = Field(default=0.3, ge=0, le=1)
    early_sentence_discount: float = Field(default=0.15, ge=0, le=1)
    agent_turn: float = Field(default=0.25, ge=0)
    carry_over: float = Field(default=0.12, ge=0)
    min_score: float = Field(default=0.3, ge=0)
    detail_outvoted: float = Field(default=0.3, ge=0)
    temperature: float = Field(default=0.07, gt=0)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: list[str] = Field(default_factory=list)
    say: str = Field(min_length=1)
    why: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_names(self) -> Response:
        unknown_flags = {flag.lstrip("!") for flag in self.when} - FLAGS
        if unknown_flags:
            raise ValueError(f"unknown flag(s) {sorted(unknown_flags)}; known: {sorted(FLAGS)}")
        unknown = set(_PLACEHOLDER.findall(self.say + self.why)) - PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
        return self

    def render(self, facts: Facts) -> tuple[str, str] | None:
        """(say, why) filled in, or None when a flag fails or a placeholder has no value."""
        for flag in self.when:
            wanted = not flag.startswith("!")
            if (flag.lstrip("!") in facts.flags) != wanted:
                return None
        if not set(_PLACEHOLDER.findall(self.say + self.why)) <= facts.values.keys():
            return None
        fill = lambda text: _PLACEHOLDER.sub(lambda m: facts.values[m.group(1)], text)  # noqa: E731
        return fill(self.say), fill(self.why)


class PlaybookIntent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    action: Action
    description: str = ""
    examples: list[str] = Field(min_length=3)
    cues: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)
    after_agent_patterns: list[str] = Field(default_factory=list, alias="after_agent")
    carries_over: bool = False
    # Only carries details (names, numbers): outvoted by any request heard in the same utterance.
    detail: bool = False
    articles: list[str] = Field(default_factory=list)
    responses: list[Response] = Field(min_length=1)

    _cues: list[re.Pattern[str]] = PrivateAttr(default_factory=list)
    _unless: list[re.Pattern[str]] = PrivateAttr(default_factory=list)
    _after_agent: list[re.Pattern[str]] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _compile(self) -> PlaybookIntent:
        try:
            self._cues = [re.compile(p) for p in self.cues]
            self._unless = [re.compile(p) for p in self.unless]
            self._after_agent = [re.compile(p) for p in self.after_agent_patterns]
        except re.error as exc:
            raise ValueError(f"bad regular expression {exc.pattern!r}: {exc}") from exc
        if not any(not r.when and not _PLACEHOLDER.search(r.say + r.why) for r in self.responses):
            raise ValueError("needs a response with no `when` and no placeholders, so it can always answer")
        return self

    @property
    def after_agent(self) -> list[re.Pattern[str]]:
        return self._after_agent

    def cue_match(self, normalized: str) -> tuple[str, float] | None:
        """The cue found last in the (normalised) utterance, and where it ends (0..1), unless vetoed."""
        found = [m for pattern in self._cues if (m := pattern.search(normalized))]
        if not found or any(veto.search(normalized) for veto in self._unless):
            return None
        last = max(found, key=lambda m: (m.end(), -m.start()))
        return last.group(0).strip(), last.end() / max(len(normalized), 1)


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    fallback_intent: str
    synonyms: list[list[str]] = Field(default_factory=list)
    scoring: Scoring = Field(default_factory=Scoring)
    intents: list[PlaybookIntent] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        ids = [intent.id for intent in self.intents]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"intent ids used twice: {sorted(duplicates)}")
        if self.fallback_intent not in ids:
            raise ValueError(f"fallback_intent {self.fallback_intent!r} is not one of the intents")
        return self

    def intent(self, intent_id: str) -> PlaybookIntent:
        return next(i for i in self.intents if i.id == intent_id)


def load_playbook(path: Path | None = None) -> Playbook:
    """The playbook at `path` (the shipped one by default), validated; PlaybookError says what is wrong."""
    path = path or SHIPPED_PLAYBOOK
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlaybookError(f"cannot read playbook {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PlaybookError(f"playbook {path} is not valid YAML: {exc}") from exc
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise PlaybookError(f"playbook {path} is invalid: {problems}") from exc


class PlaybookEngine:
    """The synchronous core: utterance in, suggestion out (a few milliseconds)."""

    def __init__(
        self,
        playbook: Playbook,
        knowledge: KnowledgeBase | None = None,
        encoder: SentenceEncoder | None = None,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.playbook = playbook
        self.knowledge = knowledge
        self.matcher = IntentMatcher(playbook, encoder)
        self.today = today

    def suggest(self, request: SuggestionRequest) -> Suggestion:
        ranked = self.matcher.rank(request.utterance, request.history)
        best = ranked[0]
        if best.score < self.playbook.scoring.min_score:
            fallback = self.playbook.intent(self.playbook.fallback_intent)
            best = IntentMatch(fallback, best.score, min(best.confidence, 0.3), "nothing in the playbook fits well")
        sources = self._sources(best, request.utterance)
        facts = gather_facts(request, best.intent.action, self.today(), sources[0].title if sources else None)
        say, why = next(r for r in (resp.render(facts) for resp in best.intent.responses) if r is not None)
        reasoning = f"{why} ({best.evidence})" if best.evidence else why
        return Suggestion(
            suggestion=say,
            reasoning=reasoning,
            action=best.intent.action,
            confidence=round(min(best.confidence, MAX_CONFIDENCE), 2),
            sources=sources,
            utterance=request.utterance,
            provider="playbook",
        )

    def _sources(self, match: IntentMatch, utterance: str) -> list[SourceRef]:
        """The intent's own articles (in the playbook's order), then others for its action that share words with the utterance."""
        if self.knowledge is None:
            return []
        own = [a for a in match.intent.articles if self.knowledge.get(a) is not None]
        related = [a.id for a in self.knowledge.for_action(match.intent.action) if a.id not in own]
        relevance = {hit.id: hit.score for hit in self.knowledge.search(utterance, len(own) + len(related), among={*own, *related})}
        ranked = own + sorted((a for a in related if relevance.get(a, 0.0) > 0), key=lambda a: -relevance[a])
        return [SourceRef(id=a, title=self.knowledge.get(a).title) for a in ranked[:MAX_SOURCES]]  # type: ignore[union-attr]


class PlaybookProvider:
    """The engine behind the async provider interface, on one worker thread off the event loop."""

    name = "playbook"

    def __init__(
        self,
        playbook_path: Path | None = None,
        knowledge: KnowledgeBase | None = None,
        encoder: SentenceEncoder | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        extra = {"today": today} if today is not None else {}
        self.engine = PlaybookEngine(load_playbook(playbook_path), knowledge, encoder, **extra)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playbook")

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        return await asyncio.get_running_loop().run_in_executor(self._worker, self.engine.suggest, request)

    async def aclose(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)
