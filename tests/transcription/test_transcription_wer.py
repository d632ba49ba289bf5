"""Word error rate on normalised text: the measure accuracy tests and benchmarks report."""

from __future__ import annotations

import pytest

from earshot.transcription.wer import (
    corpus_wer,
    edit_distance,
    normalize_text,
    number_to_words,
    wer,
)


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("Yes, it is order one two three four five.", "Yes, it is order 1, 2, 3, 4, 5."),
        ("There is a charge of forty nine dollars on my card", "There is a charge of $49 on my card"),
        ("I have been on hold for forty minutes", "I have been on hold for 40 minutes"),
        ("My email is jane dot doe at example dot com.", "My email is jane.doe@example.com"),
        ("okay, that makes sense", "OK. That makes sense!"),
        ("one thousand two hundred dollars fifty cents", "$1,200.50"),
        ("on the twenty first", "on the 21st"),
        ("three point five percent", "3.5%"),
    ],
)
def test_written_forms_normalise_to_the_spoken_words(spoken: str, written: str) -> None:
    assert normalize_text(written) == normalize_text(spoken)


def test_numbers_read_as_english_words() -> None:
    assert number_to_words(0) == "zero"
    assert number_to_words(49) == "forty nine"
    assert number_to_words(12345) == "twelve thousand three hundred forty five"
    assert number_to_words(2_000_001) == "two million one"


def test_edit_distance_counts_substitutions_deletions_and_insertions() -> None:
    assert edit_distance(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert edit_distance([], ["a", "b"]) == 2


def test_wer_ignores_case_and_punctuation() -> None:
    assert wer("Can you tell me where it is right now?", "can you tell me where it is, right now") == 0.0
    assert wer("I want a refund", "I want the refund") == 0.25
    assert wer("", "") == 0.0 and wer("", "noise") == 1.0


def test_corpus_wer_weights_by_reference_length() -> None:
    pairs = [("one two three four", "one two three four"), ("five six", "five")]
    assert corpus_wer(pairs) == pytest.approx(1 / 6)
