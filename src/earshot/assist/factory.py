"""The one place that picks agent-assist implementations from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from earshot.config import Settings

if TYPE_CHECKING:
    import numpy as np

    from earshot.assist.embeddings import CachedEncoder
    from earshot.assist.intents import SentenceEncoder
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.provider import SuggestionProvider
    from earshot.assist.sentiment import SentimentAnalyzer
    from earshot.assist.worker import AssistConfig, AssistCore

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
    """Assist for one app: its CPU work on the process's worker pool (or, with 0 workers, one thread)."""
    from earshot.assist.offload import (
        AssistWorkers,
        OffloadedPlaybook,
        OffloadedSentiment,
        acquire_pool,
        default_worker_count,
        release_pool,
    )
    from earshot.assist.worker import AssistConfig

    config = AssistConfig.from_settings(settings)
    core = create_core(config)
    size = default_worker_count() if settings.assist_workers is None else settings.assist_workers
    example_sets = core.encoder.remembered_sets() if core.encoder is not None else {}
    pool = acquire_pool(size, example_sets, config) if size > 0 else None
    if pool is not None and not pool.warm(config):
        log.warning("assist runs in the server process instead (EARSHOT_ASSIST_WORKERS=0)")
        release_pool(pool)
        pool = None
    workers = AssistWorkers(config, core, pool, window_s=settings.assist_batch_window_ms / 1000)
    provider = _with_llm(settings, core.knowledge, OffloadedPlaybook(workers))
    sentiment = OffloadedSentiment(core.sentiment, workers)
    return Assist(core.knowledge, provider, sentiment, create_redactor(settings), create_partial_redactor(settings))


def create_core(
    config: AssistConfig, example_sets: dict[tuple[str, ...], np.ndarray] | None = None
) -> AssistCore:
    """The synchronous engine and analyser for `config`: built by the server, and once in each worker."""
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.playbook import PlaybookEngine, load_playbook
    from earshot.assist.sentiment import ToneReference, VaderSentiment
    from earshot.assist.worker import AssistCore

    knowledge = KnowledgeBase.load(config.knowledge_dir)
    encoder = _encoder_or_none() if config.embeddings else None
    if encoder is not None and example_sets:
        encoder.remember_sets(example_sets)
    engine = PlaybookEngine(load_playbook(config.playbook_path), knowledge, encoder)
    tone = ToneReference.load(encoder, config.sentiment_examples_path) if encoder is not None else None
    return AssistCore(knowledge, engine, VaderSentiment(tone=tone), encoder)


def create_sentence_encoder(settings: Settings) -> SentenceEncoder | None:
    """The offline MiniLM encoder for matching by meaning, or None (words and cues only)."""
    return _encoder_or_none() if settings.assist_embeddings else None


def _encoder_or_none() -> CachedEncoder | None:
    from earshot.assist.embeddings import EncoderUnavailable

    try:
        return _shared_encoder()
    except EncoderUnavailable as exc:
        log.warning("matching suggestions by words and cues only: %s", exc)
        return None


@lru_cache(maxsize=1)
def _shared_encoder() -> CachedEncoder:
    """One encoder per process: its weights are read-only and it is safe across threads."""
    from threadpoolctl import threadpool_limits

    from earshot.assist.embeddings import SHIPPED_VECTORS, CachedEncoder, MiniLmEncoder, load_example_sets

    # One sentence is a handful of small matrix products: a second BLAS thread gains ~2 ms
    # when the machine is idle and costs hundreds when speech-to-text holds the other core
    # (OpenBLAS threads spin waiting for it).
    threadpool_limits(limits=1, user_api="blas")
    encoder = CachedEncoder(MiniLmEncoder.from_package())
    # The shipped examples' vectors: the same sets that would otherwise be embedded at start-up.
    encoder.remember_sets(load_example_sets(SHIPPED_VECTORS))
    return encoder


def create_suggestion_provider(
    settings: Settings, knowledge: KnowledgeBase, encoder: SentenceEncoder | None = None
) -> SuggestionProvider:
    """The playbook (offline, deterministic), or an LLM endpoint that falls back to it."""
    from earshot.assist.playbook import PlaybookProvider

    playbook = PlaybookProvider(playbook_path=settings.assist_playbook_path, knowledge=knowledge, encoder=encoder)
    return _with_llm(settings, knowledge, playbook)


def _with_llm(settings: Settings, knowledge: KnowledgeBase, playbook: SuggestionProvider) -> SuggestionProvider:
    """The playbook alone, or an LLM endpoint that falls back to it."""
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
