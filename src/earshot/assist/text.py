"""Text into comparable terms: normalisation, a light stemmer, and TF-IDF / BM25 indexes.

Shared by knowledge-base search and playbook intent matching, so both read "parcel",
"parcels" and "package" the same way. Deliberately small: the vocabulary of a support
call is narrow, and a predictable, explainable match matters more than the last point of
recall.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Function words that say nothing about the topic. Negations, question words and
# time words are kept: "where is it", "not working" and "still" carry the intent.
STOPWORDS = frozenset(
    "a an the i me my mine myself we us our ours you your yours he him his she her it its they them their "
    "this that these those am is are was were be been being do does did doing have has had having "
    "and or but if so as of at by for with about into onto to from in on up out over then there here "
    "just also very really quite um uh er erm hmm oh ok okay yeah yes hi hello hey please well actually "
    "would could should will shall may might must can im ive id ill youre thats its theres dont "
    "some any one thing things bit lot get got going go".split()
)  # fmt: skip

_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'s\b"), ""),
)
_WORD = re.compile(r"[a-z0-9]+")
# British and American spellings meet in the middle: "recognise"/"recognize", "cancelled"/"canceled".
_ISE = re.compile(r"\b(\w{3,})is(e|ed|es|ing|ation|ations)\b")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalize(text: str) -> str:
    """Lower case, straight apostrophes, contractions spelled out ("can't" -> "can not")."""
    text = text.lower().translate(_APOSTROPHES)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return _ISE.sub(r"\1iz\2", text)


def stem(word: str) -> str:
    """A light suffix stripper: plurals, -ed, -ing, -ly, final -e ("charged", "charges" -> "charg")."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, shortest in (("ing", 5), ("ed", 4), ("ly", 5)):
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest - len(suffix) + 1:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "stopped" -> "stopp" -> "stop"
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if word.endswith("ll") and len(word) > 5:
        word = word[:-1]  # "cancell(ed)" -> "cancel"
    return word


def words(text: str) -> list[str]:
    """The normalised words of a text, stopwords included (for phrase and rule matching)."""
    return _WORD.findall(normalize(text))


_ORIGINAL_WORD = re.compile(r"[\w'\u2019]+")


def quote(original: str, normalized_fragment: str) -> str:
    """The words of `original` that normalise to `normalized_fragment` ("hasn't arrived" for
    "has not arrived"), so evidence is shown in the customer's own words; the fragment if none do."""
    wanted = _WORD.findall(normalized_fragment)
    spans = [m.span() for m in _ORIGINAL_WORD.finditer(original)]
    for length in range(max(1, len(wanted) - 3), len(wanted) + 1):
        for start in range(len(spans) - length + 1):
            text = original[spans[start][0] : spans[start + length - 1][1]]
            if _WORD.findall(normalize(text)) == wanted:
                return text
    return normalized_fragment


@dataclass(frozen=True)
class Analyzer:
    """Text to index terms: stemmed content words, synonyms folded, plus adjacent-word bigrams."""

    synonyms: Mapping[str, str]  # stem -> canonical stem, e.g. "parcel" -> "packag"
    bigrams: bool = True

    def terms(self, text: str) -> list[str]:
        unigrams = [self._canonical(w) for w in words(text) if w not in STOPWORDS]
        if not self.bigrams:
            return unigrams
        return unigrams + [f"{a}_{b}" for a, b in zip(unigrams, unigrams[1:], strict=False)]

    def _canonical(self, word: str) -> str:
        stemmed = stem(word)
        return self.synonyms.get(stemmed, stemmed)


def synonym_map(groups: Iterable[Sequence[str]]) -> dict[str, str]:
    """Each group's words map to the stem of its first word."""
    mapping: dict[str, str] = {}
    for group in groups:
        canonical = stem(group[0].lower())
        for word in group[1:]:
            mapping[stem(word.lower())] = canonical
    return mapping


class TfidfIndex:
    """Cosine similarity of TF-IDF vectors (sublinear tf, smoothed idf) against fixed documents."""

    def __init__(self, analyzer: Analyzer, documents: Sequence[str]) -> None:
        self.analyzer = analyzer
        term_lists = [analyzer.terms(doc) for doc in documents]
        df = Counter(term for terms in term_lists for term in set(terms))
        n = len(documents)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self._vectors = [self._vector(terms) for terms in term_lists]
        self._postings: dict[str, list[int]] = {}
        for i, vector in enumerate(self._vectors):
            for term in vector:
                self._postings.setdefault(term, []).append(i)

    def _vector(self, terms: list[str]) -> dict[str, float]:
        counts = Counter(t for t in terms if t in self.idf)
        vector = {t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}

    def similarities(self, text: str) -> dict[int, float]:
        """Document index -> cosine similarity, for documents sharing at least one term."""
        query = self._vector(self.analyzer.terms(text))
        scores: dict[int, float] = {}
        for term, weight in query.items():
            for i in self._postings.get(term, ()):
                scores[i] = scores.get(i, 0.0) + weight * self._vectors[i][term]
        return scores


class Bm25Index:
    """Okapi BM25 over fields of different weight (title counts more than body)."""

    def __init__(self, analyzer: Analyzer, documents: Sequence[Mapping[str, str]], weights: Mapping[str, float],
                 k1: float = 1.2, b: float = 0.75) -> None:  # fmt: skip
        self.analyzer, self.k1, self.b = analyzer, k1, b
        self._tfs: list[dict[str, float]] = []
        for doc in documents:
            tf: dict[str, float] = {}
            for field, weight in weights.items():
                for term in analyzer.terms(doc.get(field, "")):
                    tf[term] = tf.get(term, 0.0) + weight
            self._tfs.append(tf)
        self._lengths = [sum(tf.values()) for tf in self._tfs]
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        df = Counter(term for tf in self._tfs for term in tf)
        n = len(documents)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def scores(self, text: str) -> list[float]:
        query = set(self.analyzer.terms(text))
        results = []
        for tf, length in zip(self._tfs, self._lengths, strict=True):
            score = 0.0
            for term in query & tf.keys():
                f = tf[term]
                score += self.idf[term] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self._average))
            results.append(score)
        return results
