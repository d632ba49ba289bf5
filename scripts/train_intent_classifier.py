"""Train the intent classifier for the shipped playbook, and embed the shipped examples ahead of time.

Writes, beside the modules that read them, `playbook_classifier.npz` (the classifier) and
`example_vectors.npz` (the playbook's and the tone reference's example sentences as vectors,
so start-up need not embed them). Run after editing `playbook.yaml` or
`sentiment_examples.yaml`; a test checks that both files match them.

    PYTHONPATH=src .venv/bin/python scripts/train_intent_classifier.py
"""

from __future__ import annotations

import numpy as np
import yaml

from earshot.assist.classifier import SHIPPED_CLASSIFIER, IntentClassifier, fingerprint
from earshot.assist.embeddings import SHIPPED_VECTORS, MiniLmEncoder, save_example_sets
from earshot.assist.playbook import load_playbook
from earshot.assist.sentiment import SHIPPED_TONE_EXAMPLES, ToneReference


def main() -> None:
    encoder = MiniLmEncoder.from_package()
    playbook = load_playbook()
    examples = tuple(example for intent in playbook.intents for example in intent.examples)
    owners = np.array([i for i, intent in enumerate(playbook.intents) for _ in intent.examples])
    vectors = encoder.encode(list(examples))
    classifier = IntentClassifier.train(vectors, owners, len(playbook.intents), fingerprint(playbook))
    classifier.save(SHIPPED_CLASSIFIER)
    print(f"{SHIPPED_CLASSIFIER}: {len(playbook.intents)} intents, {len(examples)} examples")
    data = yaml.safe_load(SHIPPED_TONE_EXAMPLES.read_text(encoding="utf-8"))
    tone = tuple(str(text) for label in ToneReference.LABELS for text in data.get(label) or [])
    save_example_sets(SHIPPED_VECTORS, {examples: vectors, tone: encoder.encode(list(tone))})
    print(f"{SHIPPED_VECTORS}: {len(examples)} + {len(tone)} sentences")


if __name__ == "__main__":
    main()
