"""Which playbook intent an utterance expresses: meaning, words, cues and the dialogue so far.

Each intent gets one score, the sum of
- how close the utterance (or one of its sentences) is in meaning to the intent's nearest
  example (sentence embeddings, when an encoder is available),
- how many words it shares with that example (TF-IDF cosine),
- a fixed bonus when one of its cue patterns matches (and none of its `unless` patterns),
- a bonus when the agent's last turn points at it ("can you confirm your order number?"),
- a bonus for the previous customer turn's topic when it carries over, so a bare
  follow-up ("and when will it get here?") stays on topic.
The confidence is the softmax of the scores: high when one intent clearly leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from earshot.assist.text import Analyzer, TfidfIndex, normalize, synonym_map
from earshot.assist.types import Turn

if TYPE_CHECKING:
    from earshot.assist.playbook import Playbook, PlaybookIntent

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_CHARS = 12


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """Rows of unit-length vectors, one per text."""
        ...


@dataclass(frozen=True)
class IntentMatch:
    intent: PlaybookIntent
    score: float
    confidence: float
    evidence: str  # what the match rests on, for the reasoning shown to the agent


@dataclass(frozen=True)
class _Signals:
    meaning: np.ndarray  # per intent, 0..1
    words: np.ndarray
    cues: list[tuple[str, float] | None]  # per intent, the cue that matched and where it ends (0..1)
    nearest: list[str]  # per intent, the closest example


class IntentMatcher:
    def __init__(self, playbook: Playbook, encoder: SentenceEncoder | None = None) -> None:
        self.playbook = playbook
        self.intents = playbook.intents
        self.encoder = encoder
        self._examples = [example for intent in self.intents for example in intent.examples]
        self._owner = np.array([i for i, intent in enumerate(self.intents) for _ in intent.examples])
        self._tfidf = TfidfIndex(Analyzer(synonym_map(playbook.synonyms)), self._examples)
        self._example_vectors = encoder.encode(self._examples) if encoder is not None else None
        self._by_id = {intent.id: i for i, intent in enumerate(self.intents)}

    def rank(self, utterance: str, history: list[Turn]) -> list[IntentMatch]:
        """Every intent, best first."""
        weights = self.playbook.scoring
        signals = self._signals(utterance)
        scores = self._scores(signals)
        agent_hint = self._agent_hint(history)
        if agent_hint is not None:
            scores[agent_hint] += weights.agent_turn
        # Only a turn without a cue of its own is a follow-up that continues the previous topic.
        topic = self._previous_topic(history) if all(cue is None for cue in signals.cues) else None
        if topic is not None:
            scores[topic] += weights.carry_over
        probabilities = _softmax(scores / weights.temperature)
        order = sorted(range(len(self.intents)), key=lambda i: (-scores[i], i))
        return [
            IntentMatch(self.intents[i], float(scores[i]), float(probabilities[i]), self._evidence(i, signals, agent_hint, topic))
            for i in order
        ]

    def _signals(self, utterance: str) -> _Signals:
        units = _units(utterance)
        n = len(self.intents)
        meaning = np.zeros(n)
        nearest_example = np.full(n, -1)
        best_sim = np.full(n, -1.0)
        if self.encoder is not None and self._example_vectors is not None:
            sims = self.encoder.encode(units) @ self._example_vectors.T  # units x examples
            per_example = sims.max(axis=0)
            for i in range(n):
                mine = np.flatnonzero(self._owner == i)
                j = mine[int(np.argmax(per_example[mine]))]
                meaning[i], best_sim[i], nearest_example[i] = max(0.0, float(per_example[j])), per_example[j], j
        lexical = np.zeros(n)
        for unit in units:
            for j, similarity in self._tfidf.similarities(unit).items():
                i = self._owner[j]
                if similarity > lexical[i]:
                    lexical[i] = similarity
                    if self.encoder is None:
                        nearest_example[i] = j
        normalized = normalize(utterance)
        cues = [intent.cue_match(normalized) for intent in self.intents]
        nearest = [self._examples[j] if j >= 0 else "" for j in nearest_example]
        return _Signals(meaning, lexical, cues, nearest)

    def _agent_hint(self, history: list[Turn]) -> int | None:
        """The intent the agent's last turn (if it was one of the last two) asks for."""
        for turn in reversed(history[-2:]):
            if turn.speaker == "agent":
                text = normalize(turn.text)
                for i, intent in enumerate(self.intents):
                    if any(pattern.search(text) for pattern in intent.after_agent):
                        return i
                return None
        return None

    def _previous_topic(self, history: list[Turn]) -> int | None:
        """The intent of the customer's previous turn, if it is a topic that carries over."""
        previous = next((t.text for t in reversed(history) if t.speaker == "customer"), None)
        if previous is None:
            return None
        scores = self._scores(self._signals(previous))
        best = int(np.argmax(scores))
        carries = self.intents[best].carries_over and scores[best] >= self.playbook.scoring.min_score
        return best if carries else None

    def _scores(self, signals: _Signals) -> np.ndarray:
        """What the utterance itself says, before the dialogue is taken into account."""
        weights = self.playbook.scoring
        # Customers tend to give the background first and the request last ("it broke. I want a
        # refund"), so a cue near the start counts a little less than one at the end.
        cued = np.array([0.0 if c is None else 1 - weights.cue_early_discount * (1 - c[1]) for c in signals.cues])
        return weights.embedding * signals.meaning + weights.lexical * signals.words + weights.cue * cued

    def _evidence(self, i: int, signals: _Signals, agent_hint: int | None, topic: int | None) -> str:
        parts = []
        cue = signals.cues[i]
        if cue is not None:
            parts.append(f"said “{cue[0]}”")
        elif signals.nearest[i]:
            parts.append(f"close to “{signals.nearest[i]}”")
        if agent_hint == i:
            parts.append("answers the agent's question")
        if topic == i:
            parts.append("continues the previous topic")
        return "; ".join(parts)


def _units(utterance: str) -> list[str]:
    """The whole utterance, plus each sentence of it when there are several."""
    sentences = [s for s in _SENTENCE_END.split(utterance.strip()) if len(s) >= MIN_SENTENCE_CHARS]
    return [utterance] + (sentences if len(sentences) > 1 else [])


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()
