"""The one place that picks agent-assist implementations from settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from earshot.config import Settings

if TYPE_CHECKING:
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.provider import SuggestionProvider
    from earshot.assist.sentiment import SentimentAnalyzer


def create_suggestion_provider(settings: Settings, knowledge: KnowledgeBase) -> SuggestionProvider:
    """The playbook (offline, deterministic), or an LLM endpoint that falls back to it."""
    from earshot.assist.playbook import PlaybookProvider

    playbook = PlaybookProvider(playbook_path=settings.assist_playbook_path, knowledge=knowledge)
    if settings.assist_provider != "llm":
        return playbook

    from earshot.assist.llm import LlmProvider

    return LlmProvider(
        settings.assist_llm_base_url,
        settings.assist_llm_api_key,
        settings.assist_llm_model,
        settings.assist_llm_timeout_seconds,
        fallback=playbook,
        knowledge=knowledge,
    )


def create_sentiment_analyzer(settings: Settings) -> SentimentAnalyzer:
    """VADER with the customer-service lexicon; the only analyser so far."""
    from earshot.assist.sentiment import VaderSentiment

    return VaderSentiment()


def create_redactor(settings: Settings) -> Callable[[str], str]:
    """What is applied to everything said before it is logged or shown: PII masking, or nothing."""
    from earshot.assist.redact import redact_text

    return redact_text if settings.redact_pii else _unchanged


def _unchanged(text: str) -> str:
    return text
