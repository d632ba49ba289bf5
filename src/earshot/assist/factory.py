"""The one place that picks agent-assist implementations from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from earshot.config import Settings

if TYPE_CHECKING:
    from earshot.assist.intents import SentenceEncoder
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.provider import SuggestionProvider
    from earshot.assist.sentiment import SentimentAnalyzer

log = logging.getLogger(__name__)


@dataclass
class Assist:
    """Everything agent assist needs, built once per process."""

    knowledge: KnowledgeBase
    provider: SuggestionProvider
    sentiment: SentimentAnalyzer
    redact: Callable[[str], str]
    redact_partial: Callable[[str, str], tuple[str, str]]  # (text, stable_text) of a partial


def create_assist(settings: Settings) -> Assist:
    from earshot.assist.knowledge import KnowledgeBase

    knowledge = KnowledgeBase.load(settings.assist_knowledge_dir)
    encoder = create_sentence_encoder(settings)
    provider = create_suggestion_provider(settings, knowledge, encoder)
    sentiment = create_sentiment_analyzer(settings, encoder)
    return Assist(knowledge, provider, sentiment, create_redactor(settings), create_partial_redactor(settings))


def create_sentence_encoder(settings: Settings) -> SentenceEncoder | None:
    """The offline MiniLM encoder for matching by meaning, or None (words and cues only)."""
    if not settings.assist_embeddings:
        return None
    from earshot.assist.embeddings import EncoderUnavailable

    try:
        return _shared_encoder()
    except EncoderUnavailable as exc:
        log.warning("matching suggestions by words and cues only: %s", exc)
        return None


@lru_cache(maxsize=1)
def _shared_encoder() -> SentenceEncoder:
    """One encoder per process: its weights are read-only and it is safe across threads."""
    from threadpoolctl import threadpool_limits

    from earshot.assist.embeddings import CachedEncoder, MiniLmEncoder

    # One sentence is a handful of small matrix products: a second BLAS thread gains ~2 ms
    # when the machine is idle and costs hundreds when speech-to-text holds the other core
    # (OpenBLAS threads spin waiting for it).
    threadpool_limits(limits=1, user_api="blas")
    return CachedEncoder(MiniLmEncoder.from_package())


def create_suggestion_provider(
    settings: Settings, knowledge: KnowledgeBase, encoder: SentenceEncoder | None = None
) -> SuggestionProvider:
    """The playbook (offline, deterministic), or an LLM endpoint that falls back to it."""
    from earshot.assist.playbook import PlaybookProvider

    playbook = PlaybookProvider(playbook_path=settings.assist_playbook_path, knowledge=knowledge, encoder=encoder)
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


def create_sentiment_analyzer(settings: Settings, encoder: SentenceEncoder | None = None) -> SentimentAnalyzer:
    """VADER with the customer-service lexicon, plus the tone of example utterances when an encoder is there."""
    from earshot.assist.sentiment import ToneReference, VaderSentiment

    tone = ToneReference.load(encoder, settings.assist_sentiment_examples_path) if encoder is not None else None
    return VaderSentiment(tone=tone)


def create_redactor(settings: Settings) -> Callable[[str], str]:
    """What is applied to everything said before it is logged or shown: PII masking, or nothing."""
    from earshot.assist.redact import redact_text

    return redact_text if settings.redact_pii else _unchanged


def create_partial_redactor(settings: Settings) -> Callable[[str, str], tuple[str, str]]:
    """The same for partials, (text, stable_text): digit runs that may still become a card are held back too."""
    from earshot.assist.redact import redact_partial

    return redact_partial if settings.redact_pii else _unchanged_partial


def _unchanged(text: str) -> str:
    return text


def _unchanged_partial(text: str, stable_text: str) -> tuple[str, str]:
    return text, stable_text
