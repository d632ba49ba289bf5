"""A linear intent classifier over sentence embeddings, trained on the playbook's own examples.

Nearest-example matching only asks "which single example is closest?"; a softmax regression
over all of an intent's examples learns which directions of meaning the intent spreads along,
so wording unlike any one example ("my new card still hasn't arrived") still lands near its
intent. `scripts/train_intent_classifier.py` trains it for the shipped playbook and writes
`playbook_classifier.npz` beside this module; a playbook whose intents or examples differ (one
from EARSHOT_ASSIST_PLAYBOOK_PATH, or an edited one) gets one trained at start-up instead,
which takes a fraction of a second. Only numpy runs either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from earshot.assist.playbook import Playbook

log = logging.getLogger(__name__)

SHIPPED_CLASSIFIER = Path(__file__).with_name("playbook_classifier.npz")
# Chosen on the outside-wording development set; a light L2 keeps 20-odd examples per intent
# from being memorised.
L2 = 1e-3
STEPS = 500
RATE = 2.0


def fingerprint(playbook: Playbook) -> str:
    """What a classifier was trained on: the intents, in order, with their examples."""
    content = json.dumps([[intent.id, intent.examples] for intent in playbook.intents])
    return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True)
class IntentClassifier:
    weights: np.ndarray  # (dim, intents)
    bias: np.ndarray  # (intents,)
    fingerprint: str

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, intents): for each unit vector, how likely each intent is."""
        logits = vectors @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    @classmethod
    def train(cls, vectors: np.ndarray, labels: np.ndarray, intents: int, trained_on: str) -> IntentClassifier:
        """Softmax regression by full-batch gradient descent from zero: deterministic, no extra packages."""
        weights = np.zeros((vectors.shape[1], intents))
        bias = np.zeros(intents)
        targets = np.eye(intents)[labels]
        for _ in range(STEPS):
            logits = vectors @ weights + bias
            logits -= logits.max(axis=1, keepdims=True)
            odds = np.exp(logits)
            gradient = (odds / odds.sum(axis=1, keepdims=True) - targets) / len(labels)
            weights -= RATE * (vectors.T @ gradient + L2 * weights)
            bias -= RATE * gradient.sum(axis=0)
        return cls(weights.astype(np.float32), bias.astype(np.float32), trained_on)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, weights=self.weights, bias=self.bias, fingerprint=np.array(self.fingerprint))

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        with np.load(path) as data:
            return cls(data["weights"], data["bias"], str(data["fingerprint"]))


def classifier_for(playbook: Playbook, example_vectors: np.ndarray, owner: np.ndarray) -> IntentClassifier:
    """The shipped classifier when it was trained on this playbook, else one trained now."""
    wanted = fingerprint(playbook)
    if SHIPPED_CLASSIFIER.exists():
        try:
            shipped = IntentClassifier.load(SHIPPED_CLASSIFIER)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring %s (%s); training a classifier for the playbook instead", SHIPPED_CLASSIFIER, exc)
        else:
            if shipped.fingerprint == wanted and shipped.weights.shape == (example_vectors.shape[1], len(playbook.intents)):
                return shipped
    return IntentClassifier.train(example_vectors, owner, len(playbook.intents), wanted)
