"""Which playbook intent an utterance expresses: meaning, words, cues and the dialogue so far.

The utterance is scored as a whole and sentence by sentence (later sentences weigh a little
more: customers give the background first and the request last). For each piece, each
intent's score is the sum of
- how close it is in meaning to the intent's nearest example (sentence embeddings, when an
  encoder is available),
- how many words it shares with that example (TF-IDF cosine),
- a fixed bonus when one of the intent's cue patterns matches (and none of its `unless`),
- the probability a linear classifier over the embeddings gives the intent (`classifier`).
The intent's utterance score is its best piece. The dialogue then adds
- a bonus when the agent's last turn points at the intent ("what's the new address?"),
- a bonus for the previous customer turn's topic when it carries over and this turn has no
  cue of its own, so a bare follow-up ("yes, I restarted it twice") stays on topic.
The confidence is the softmax of the scores: high when one intent clearly leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from earshot.assist.classifier import IntentClassifier, classifier_for
from earshot.assist.text import Analyzer, TfidfIndex, normalize, quote, synonym_map
from earshot.assist.types import Turn

if TYPE_CHECKING:
    from earshot.assist.playbook import Playbook, PlaybookIntent

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_CHARS = 12
# A plea for help around the request ("can you help me find out where my parcel is?",
# "I need help to change my address"): on its own it reads as a vague request, so the
# words after it are also read as a piece of their own.
_WRAPPER = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|yes|yeah|ok|okay|so|um|erm)\b\W*)*(?:(?:please|kindly)\s+)?"
    r"(?:(?:can|could|would|will) (?:you|someone|anyone|u) (?:please |kindly )?(?:help me|assist me|help)(?: out)?"
    r"|i (?:need|want|would like|'d like|am looking for|was hoping for) (?:some |your )?(?:help|assistance)"
    r"|(?:please )?help me|i was (?:hoping|wondering) (?:if )?you could(?: help me)?"
    r"|what (?:do|would|should) i (?:need|have) to do(?: in order)?|what is the (?:way|process)"
    r"|(?:can|could) you (?:please )?(?:tell me|let me know|check|find out|see)(?: for me)?"
    r"|i (?:want|need|would like|'d like) to (?:know|find out|check))"
    r"(?:\s+(?:to|with|in|on|about|for|if|whether))?\b\W*",
    re.IGNORECASE,
)
MIN_UNWRAPPED_WORDS = 3


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
class _Reading:
    """What the utterance alone says: per intent, its best score and why."""

    scores: np.ndarray
    cues: list[str | None]  # the cue that matched in the best piece
    nearest: list[str]  # the closest example in the best piece


class IntentMatcher:
    def __init__(self, playbook: Playbook, encoder: SentenceEncoder | None = None) -> None:
        self.playbook = playbook
        self.intents = playbook.intents
        self.encoder = encoder
        self._examples = [example for intent in self.intents for example in intent.examples]
        self._owner = np.array([i for i, intent in enumerate(self.intents) for _ in intent.examples])
        self._tfidf = TfidfIndex(Analyzer(synonym_map(playbook.synonyms)), self._examples)
        self._example_vectors = encoder.encode(self._examples) if encoder is not None else None
        self._classifier: IntentClassifier | None = None
        if self._example_vectors is not None:
            self._classifier = classifier_for(playbook, self._example_vectors, self._owner)

    def rank(self, utterance: str, history: list[Turn]) -> list[IntentMatch]:
        """Every intent, best first."""
        weights = self.playbook.scoring
        reading = self._read(utterance)
        scores = reading.scores.copy()
        self._outvote_details(scores, reading)
        hinted = self._agent_hints(history)
        scores[hinted] += weights.agent_turn
        # Only a turn without a cue of its own is a follow-up that continues the previous topic;
        # details alone ("it's the Inkjet 3000") do not start a new one.
        asks = self._asks(reading)
        topic = None if asks else self._previous_topic(history)
        if topic is not None:
            scores[topic] += weights.carry_over
        probabilities = _softmax(scores / weights.temperature)
        order = sorted(range(len(self.intents)), key=lambda i: (-scores[i], i))
        # Only the winner's evidence is ever shown, so only its wording is looked up.
        return [
            IntentMatch(
                self.intents[i],
                float(scores[i]),
                float(probabilities[i]),
                _evidence(i, utterance, reading, hinted, topic) if rank == 0 else "",
            )
            for rank, i in enumerate(order)
        ]

    def _asks(self, reading: _Reading) -> bool:
        """Whether a cue of an intent that asks for something (not details, not the vague fallback) was heard."""
        fallback = self.playbook.fallback_intent
        return any(
            cue is not None and not intent.detail and intent.id != fallback
            for cue, intent in zip(reading.cues, self.intents, strict=True)
        )

    def _outvote_details(self, scores: np.ndarray, reading: _Reading) -> None:
        """Identity details beside a request ("I want to close my account, my account number is
        4 4 1 2") are context for the request, not the request: when another intent's cue is
        heard, intents that only carry details lose their edge."""
        if self._asks(reading):
            for i, intent in enumerate(self.intents):
                if intent.detail:
                    scores[i] -= self.playbook.scoring.detail_outvoted

    def texts_to_embed(self, utterance: str, history: list[Turn]) -> list[str]:
        """What `rank` will embed for this utterance: its pieces and those of the previous customer turn."""
        if self.encoder is None:
            return []
        pieces, _ = _pieces(utterance, self.playbook.scoring.early_sentence_discount)
        # The previous turn is read only when this one has no cue; embedding it anyway is cheaper
        # than matching every cue twice, and it is usually remembered already.
        previous = next((t.text for t in reversed(history) if t.speaker == "customer"), None)
        if previous is not None:
            pieces += _pieces(previous, self.playbook.scoring.early_sentence_discount)[0]
        return pieces

    def _read(self, utterance: str) -> _Reading:
        weights = self.playbook.scoring
        pieces, piece_weights = _pieces(utterance, weights.early_sentence_discount)
        meaning = np.zeros((len(pieces), len(self.intents)))
        nearest = np.full((len(pieces), len(self.intents)), -1)
        learned = np.zeros_like(meaning)
        if self.encoder is not None and self._example_vectors is not None:
            vectors = self.encoder.encode(pieces)
            similarity = vectors @ self._example_vectors.T  # pieces x examples
            if self._classifier is not None:
                learned = self._classifier.probabilities(vectors)
            for i in range(len(self.intents)):
                mine = np.flatnonzero(self._owner == i)
                best = similarity[:, mine].argmax(axis=1)
                nearest[:, i] = mine[best]
                meaning[:, i] = np.maximum(similarity[np.arange(len(pieces)), mine[best]], 0.0)
        lexical = np.zeros_like(meaning)
        for p, piece in enumerate(pieces):
            for j, value in self._tfidf.similarities(piece).items():
                i = self._owner[j]
                if value > lexical[p, i]:
                    lexical[p, i] = value
                    if self.encoder is None:
                        nearest[p, i] = j
        cues = [[intent.cue_match(normalize(piece)) for intent in self.intents] for piece in pieces]
        cue_score = np.array([[0.0 if c is None else 1 - weights.cue_early_discount * (1 - c[1]) for c in row] for row in cues])
        per_piece = weights.embedding * meaning + weights.lexical * lexical + weights.cue * cue_score + weights.classifier * learned
        per_piece *= np.array(piece_weights)[:, None]
        best_piece = per_piece.argmax(axis=0)
        columns = range(len(self.intents))
        return _Reading(
            scores=per_piece[best_piece, columns],
            cues=[cue[0] if (cue := cues[p][i]) else None for i, p in zip(columns, best_piece, strict=True)],
            nearest=[self._examples[nearest[p, i]] if nearest[p, i] >= 0 else "" for i, p in zip(columns, best_piece, strict=True)],
        )

    def _agent_hints(self, history: list[Turn]) -> list[int]:
        """Intents the agent's last turn (if it was one of the last two) asks about."""
        for turn in reversed(history[-2:]):
            if turn.speaker == "agent":
                text = normalize(turn.text)
                return [i for i, intent in enumerate(self.intents) if any(p.search(text) for p in intent.after_agent)]
        return []

    def _previous_topic(self, history: list[Turn]) -> int | None:
        """The intent of the customer's previous turn, if it is a topic that carries over."""
        previous = next((t.text for t in reversed(history) if t.speaker == "customer"), None)
        if previous is None:
            return None
        scores = self._read(previous).scores
        best = int(np.argmax(scores))
        carries = self.intents[best].carries_over and scores[best] >= self.playbook.scoring.min_score
        return best if carries else None


def _pieces(utterance: str, early_discount: float) -> tuple[list[str], list[float]]:
    """The whole utterance, plus each sentence of it when there are several, plus the request
    inside a plea for help; and their weights."""
    sentences = [s for s in _SENTENCE_END.split(utterance.strip()) if len(s) >= MIN_SENTENCE_CHARS]
    if len(sentences) < 2:
        pieces, weights = [utterance], [1.0]
    else:
        last = len(sentences) - 1
        pieces = [utterance, *sentences]
        weights = [1.0, *(1 - early_discount * (last - k) / last for k in range(len(sentences)))]
    for piece, weight in list(zip(pieces, weights, strict=True)):
        inner = unwrap(piece)
        if inner is not None and inner not in pieces:
            pieces.append(inner)
            weights.append(weight)
    return pieces, weights


def unwrap(text: str) -> str | None:
    """The request inside "can you help me ...", "I need help to ...", or None if there is none."""
    match = _WRAPPER.match(text)
    if match is None:
        return None
    inner = text[match.end() :].strip()
    return inner if len(inner.split()) >= MIN_UNWRAPPED_WORDS else None


def _evidence(i: int, utterance: str, reading: _Reading, hinted: list[int], topic: int | None) -> str:
    parts = []
    cue = reading.cues[i]
    if cue is not None:
        parts.append(f"said “{quote(utterance, cue)}”")
    elif reading.nearest[i]:
        parts.append(f"close to “{reading.nearest[i]}”")
    if i in hinted:
        parts.append("answers the agent's question")
    if topic == i:
        parts.append("continues the previous topic")
    return "; ".join(parts)


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()
