"""Word error rate on normalised text, for accuracy tests and benchmarks.

`normalize_text` makes a transcript and its reference comparable the way a reader would:
lowercase, no punctuation, numbers as words ("$49" -> "forty nine dollars", "1, 2, 3" ->
"one two three"), e-mail punctuation spoken ("jane.doe@example.com" -> "jane dot doe at
example dot com"), and "ok" spelled "okay". Contractions are left alone: "that's" and
"that is" count as different words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"), (100, "hundred"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_SPELLINGS = {"ok": "okay", "mr": "mister", "mrs": "missus", "dr": "doctor"}


def number_to_words(n: int) -> str:
    """English words for a non-negative integer: 1249 -> "one thousand two hundred forty nine"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, name in _SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_to_words(head)} {name}" + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError("unreachable")


def _ordinal(n: int) -> str:
    words = number_to_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _money(match: re.Match[str]) -> str:
    dollars = int(match.group(1).replace(",", ""))
    cents = int(match.group(2)) if match.group(2) else 0
    text = f"{number_to_words(dollars)} dollar{'' if dollars == 1 else 's'}"
    return text + (f" {number_to_words(cents)} cent{'' if cents == 1 else 's'}" if cents else "")


def normalize_text(text: str) -> str:
    """Lowercase words separated by single spaces, with numbers and symbols spelled out."""
    text = text.lower()
    text = re.sub(r"\$(\d[\d,]*)(?:\.(\d{2}))?", _money, text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000, but "1, 2" stays a list
    text = re.sub(r"(\d+)\.(\d+)", lambda m: f"{m.group(1)} point {' '.join(m.group(2))}", text)
    text = re.sub(r"(\d+)(?:st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1))), text)
    text = re.sub(r"(\d+)%", r"\1 percent", text)
    text = re.sub(r"\d+", lambda m: f" {number_to_words(int(m.group()))} ", text)
    text = re.sub(r"(?<=\w)@(?=\w)", " at ", text)
    text = re.sub(r"(?<=\w)\.(?=\w)", " dot ", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w']+|_", " ", text)
    words = (word.strip("'") for word in text.split())
    return " ".join(_SPELLINGS.get(word, word) for word in words if word)


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Substitutions + deletions + insertions turning `reference` into `hypothesis`."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words) after normalising both texts."""
    ref = normalize_text(reference).split()
    return edit_distance(ref, normalize_text(hypothesis).split()), len(ref)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis; 0.0 for two empty texts, 1.0 for text against none."""
    errors, words = word_errors(reference, hypothesis)
    if words == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / words


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Total word errors over total reference words for (reference, hypothesis) pairs."""
    errors = words = 0
    for reference, hypothesis in pairs:
        e, w = word_errors(reference, hypothesis)
        errors, words = errors + e, words + w
    return errors / words if words else 0.0
