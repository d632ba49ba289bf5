"""Assist's CPU work as plain functions: sentiment and suggestions for a batch of utterances.

The same code runs inside worker processes (`run_batch`, set up by `init_worker`) and, with
no workers, on one thread of the server (`AssistCore.run`); `offload.py` is the side that
gathers the batches and hands them over.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from earshot.assist.sentiment import SentimentScore
from earshot.assist.types import Suggestion, SuggestionRequest

if TYPE_CHECKING:
    from earshot.assist.embeddings import CachedEncoder
    from earshot.assist.knowledge import KnowledgeBase
    from earshot.assist.playbook import PlaybookEngine
    from earshot.assist.sentiment import VaderSentiment
    from earshot.config import Settings

log = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class AssistConfig:
    """What a worker needs to build the same engine and analyser as the server (hashable, picklable)."""

    playbook_path: Path | None
    knowledge_dir: Path | None
    embeddings: bool
    sentiment_examples_path: Path | None
    # (file, modification time) of each file named above: an edited file makes a new config,
    # so a worker never answers from a playbook the server no longer has.
    fingerprint: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> AssistConfig:
        paths = [settings.assist_playbook_path, settings.assist_knowledge_dir, settings.assist_sentiment_examples_path]
        return cls(
            playbook_path=settings.assist_playbook_path,
            knowledge_dir=settings.assist_knowledge_dir,
            embeddings=settings.assist_embeddings,
            sentiment_examples_path=settings.assist_sentiment_examples_path,
            fingerprint=tuple(_modified(path) for path in paths if path is not None),
        )


def _modified(path: Path) -> tuple[str, int]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return str(path), max((f.stat().st_mtime_ns for f in files if f.exists()), default=0)


@dataclass(frozen=True)
class SentimentJob:
    text: str


@dataclass(frozen=True)
class SuggestionJob:
    request: SuggestionRequest


@dataclass(frozen=True)
class JobFailed:
    """A job that raised: the batch's other jobs still get their answers."""

    error: str


Job = SentimentJob | SuggestionJob
Result = SentimentScore | Suggestion | JobFailed


@dataclass
class AssistCore:
    """The synchronous engine and analyser of one configuration."""

    knowledge: KnowledgeBase
    engine: PlaybookEngine
    sentiment: VaderSentiment
    encoder: CachedEncoder | None

    def run(self, jobs: list[Job]) -> list[Result]:
        """Answer every job; the batch's utterances are embedded together first (one pass per length)."""
        if self.encoder is not None:
            self.encoder.prime([text for job in jobs for text in self._texts_to_embed(job)])
        return [self._run_one(job) for job in jobs]

    def _texts_to_embed(self, job: Job) -> list[str]:
        if isinstance(job, SentimentJob):
            return self.sentiment.texts_to_embed(job.text)
        return self.engine.matcher.texts_to_embed(job.request.utterance, job.request.history)

    def _run_one(self, job: Job) -> Result:
        try:
            if isinstance(job, SentimentJob):
                return self.sentiment.score(job.text)
            return self.engine.suggest(job.request)
        except Exception as exc:  # one bad utterance must not cost the batch's other calls their answers
            log.exception("assist job failed")
            return JobFailed(repr(exc))


# ---------------------------------------------------------------- inside a worker process

_example_sets: dict[tuple[str, ...], np.ndarray] = {}


def init_worker(parent_pid: int, example_sets: dict[tuple[str, ...], np.ndarray]) -> None:
    """Runs once as each worker process starts."""
    # Ctrl-C reaches the whole process group; the server decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _example_sets.update(example_sets)  # the server embedded the playbook's examples already
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    # A server killed outright cannot shut its pool down; its workers must not outlive it.
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def run_batch(config: AssistConfig, jobs: list[Job]) -> list[Result]:
    """The worker's one entry point."""
    return core_for(config).run(jobs)


def warm_up(config: AssistConfig) -> None:
    """Load the model and build the engine before the first utterance needs them."""
    core_for(config)


@lru_cache(maxsize=4)
def core_for(config: AssistConfig) -> AssistCore:
    from earshot.assist.factory import create_core

    return create_core(config, _example_sets)
