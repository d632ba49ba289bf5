"""The intent classifier over embeddings and the examples embedded ahead of time: shipped files that match the shipped playbook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from earshot.assist.classifier import SHIPPED_CLASSIFIER, IntentClassifier, classifier_for, fingerprint
from earshot.assist.embeddings import SHIPPED_VECTORS, load_example_sets, save_example_sets
from earshot.assist.playbook import Playbook, load_playbook
from earshot.assist.sentiment import SHIPPED_TONE_EXAMPLES, ToneReference

RETRAIN = "run scripts/train_intent_classifier.py after editing the playbook or the tone examples"


def test_the_shipped_classifier_was_trained_on_the_shipped_playbook() -> None:
    playbook = load_playbook()
    shipped = IntentClassifier.load(SHIPPED_CLASSIFIER)
    assert shipped.fingerprint == fingerprint(playbook), RETRAIN
    assert shipped.weights.shape == (384, len(playbook.intents))


def test_the_shipped_vectors_cover_the_shipped_examples() -> None:
    playbook = load_playbook()
    examples = tuple(e for intent in playbook.intents for e in intent.examples)
    data = yaml.safe_load(SHIPPED_TONE_EXAMPLES.read_text(encoding="utf-8"))
    tone = tuple(str(t) for label in ToneReference.LABELS for t in data.get(label) or [])
    assert set(load_example_sets(SHIPPED_VECTORS)) == {examples, tone}, RETRAIN


def test_another_playbook_gets_a_classifier_trained_for_it() -> None:
    playbook = Playbook.model_validate({
        "fallback_intent": "other",
        "intents": [
            {"id": "other", "action": "ask_question", "examples": ["a", "b", "c"], "responses": [{"say": "Ask.", "why": "Vague."}]},
            {"id": "pets", "action": "offer_solution", "examples": ["d", "e", "f"], "responses": [{"say": "Pets.", "why": "Pets."}]},
        ],
    })  # fmt: skip
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(2, 384))
    vectors = np.repeat(centres, 3, axis=0) + rng.normal(scale=0.1, size=(6, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    classifier = classifier_for(playbook, vectors, np.array([0, 0, 0, 1, 1, 1]))
    assert classifier.fingerprint == fingerprint(playbook) != IntentClassifier.load(SHIPPED_CLASSIFIER).fingerprint
    probabilities = classifier.probabilities(vectors)
    assert probabilities.shape == (6, 2) and list(probabilities.argmax(axis=1)) == [0, 0, 0, 1, 1, 1]
    again = classifier_for(playbook, vectors, np.array([0, 0, 0, 1, 1, 1]))
    assert np.array_equal(again.weights, classifier.weights)  # deterministic


def test_a_saved_classifier_and_example_sets_read_back_the_same(tmp_path: Path) -> None:
    classifier = IntentClassifier(np.ones((384, 3), np.float32), np.zeros(3, np.float32), "abc")
    classifier.save(tmp_path / "c.npz")
    loaded = IntentClassifier.load(tmp_path / "c.npz")
    assert loaded.fingerprint == "abc" and np.array_equal(loaded.weights, classifier.weights)
    sets = {("héllo", "wörld"): np.eye(2, 384, dtype=np.float32)}
    save_example_sets(tmp_path / "v.npz", sets)
    assert {k: v.tolist() for k, v in load_example_sets(tmp_path / "v.npz").items()} == {k: v.tolist() for k, v in sets.items()}
    assert load_example_sets(tmp_path / "missing.npz") == {}
