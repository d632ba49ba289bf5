"""Hallucination suppression: invented text goes, real speech (even "Thank you.") stays."""

from __future__ import annotations

import numpy as np
import pytest

from earshot.config import Settings
from earshot.transcription import Segment, SttEngine, Transcription, create_engine
from earshot.transcription.filters import clean, collapse_repeats, drop_repeated_sentences, repeats_itself, strip_tags


def _t(*segments: Segment) -> Transcription:
    return Transcription(text=" ".join(s.text for s in segments), segments=segments, language="en", duration=5.0)


def _seg(text: str, start: float = 0.0, end: float = 2.0, **stats: float) -> Segment:
    return Segment(start, end, text, **stats)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for watching!",
        "Thank you for watching.",
        "THANK YOU SO MUCH FOR WATCHING",
        "Please subscribe.",
        "Don't forget to like and subscribe!",
        "Subtitles by the Amara.org community",
        "Captions by Rev",
        "you",
        "You.",
        "[Music]",
        "(applause)",
        "...",
        "♪",
        "[BLANK_AUDIO]",
    ],
)
def test_a_stock_subtitle_phrase_on_its_own_is_dropped(text: str) -> None:
    cleaned = clean(_t(_seg(text, no_speech_prob=0.2, avg_logprob=-0.3)))
    assert cleaned.text == "" and cleaned.segments == ()


def test_a_confident_thank_you_on_its_own_survives() -> None:
    # Figures tiny.en gives a real "Thank you." cut from a customer turn.
    cleaned = clean(_t(_seg("Thank you.", no_speech_prob=0.43, avg_logprob=-0.28)))
    assert cleaned.text == "Thank you."


def test_a_doubtful_thank_you_on_its_own_is_dropped() -> None:
    assert clean(_t(_seg("Thank you.", no_speech_prob=0.75, avg_logprob=-0.6))).text == ""
    assert clean(_t(_seg("Thanks!", no_speech_prob=0.3, avg_logprob=-1.2))).text == ""


def test_thank_you_after_real_speech_survives_even_when_doubtful() -> None:
    cleaned = clean(
        _t(
            _seg("It worked after turning it off and on again.", 0.0, 3.0, no_speech_prob=0.1, avg_logprob=-0.3),
            _seg("Thank you.", 3.0, 4.0, no_speech_prob=0.65, avg_logprob=-0.7),
        )
    )
    assert cleaned.text == "It worked after turning it off and on again. Thank you."


def test_stock_phrases_inside_a_longer_utterance_survive() -> None:
    text = "Thank you for watching my order so closely, you have been great."
    assert clean(_t(_seg(text))).text == text


def test_a_segment_whisper_itself_thinks_is_not_speech_is_dropped() -> None:
    cleaned = clean(
        _t(
            _seg("I want a refund.", 0.0, 2.0, no_speech_prob=0.1, avg_logprob=-0.2),
            _seg("So it goes.", 2.0, 5.0, no_speech_prob=0.95, avg_logprob=-1.4),
        )
    )
    assert cleaned.text == "I want a refund."
    assert [s.text for s in cleaned.segments] == ["I want a refund."]


def test_high_no_speech_with_confident_words_is_kept() -> None:
    # Whisper's rule needs both: a likely-silent window AND low confidence in the words.
    assert clean(_t(_seg("Cancel my order.", no_speech_prob=0.8, avg_logprob=-0.4))).text == "Cancel my order."


def test_a_repetition_loop_segment_is_dropped() -> None:
    loop = "I want a refund " * 8
    cleaned = clean(_t(_seg("Hello.", 0, 1), _seg(loop, 1, 5, compression_ratio=4.1)))
    assert cleaned.text == "Hello."


def test_a_card_number_read_digit_by_digit_is_kept_with_its_digits() -> None:
    # tiny.en's decode of espeak reading "my card number is four one one one, one one one one,
    # one one one one, one one one one": repetitive (ratio 3.62) and real. Dropping it left the
    # agent with no transcript of the turn.
    said = "I can't remember this for one, one, one, one, one, one, one, one, one, one, one, one, one, one, one, one."
    cleaned = clean(_t(_seg(said, compression_ratio=3.62)))
    assert cleaned.text == said


def test_a_loop_inside_a_run_of_digits_is_cut_after_twenty_digits() -> None:
    # tiny.en on the same voice started 10 ms later: "four" and fifty "one"s for sixteen digits.
    looped = "My car timbre is four" + " one" * 50
    assert clean(_t(_seg(looped, compression_ratio=6.2))).text == "My car timbre is four" + " one" * 19
    # ... and with timestamps on, "There is a charge of forty nine dollars" became this.
    assert clean(_t(_seg("That is a charge at 49" + ".0" * 90, compression_ratio=7.24))).text == (
        "That is a charge at 49" + ".0" * 19
    )


def test_a_phrase_repeated_three_times_is_said_once() -> None:
    assert collapse_repeats("I want a refund I want a refund, I want a refund. Now.") == "I want a refund. Now."
    assert collapse_repeats("Thank you. Thank you. Thank you. Thank you.") == "Thank you."
    assert collapse_repeats("Hello hello hello hello hello world") == "hello world"


def test_a_phrase_said_twice_or_a_word_said_three_times_is_real_speech() -> None:
    assert collapse_repeats("No, no, no. That is wrong.") == "No, no, no. That is wrong."
    assert collapse_repeats("Very very good, I said very very good.") == "Very very good, I said very very good."


def test_identical_segments_three_in_a_row_collapse_to_one() -> None:
    segments = [_seg("Thank you.", i, i + 1.0) for i in range(4)]
    cleaned = clean(_t(_seg("Great, that fixed it.", 0, 1), *segments))
    assert cleaned.text == "Great, that fixed it. Thank you."


def test_bracketed_non_speech_tags_are_stripped() -> None:
    assert strip_tags("[Music] I need help (coughs) with my bill ♪ [BLANK_AUDIO]") == "I need help with my bill"
    assert strip_tags("My order (the one from May, number 123) is late *sighs*") == (
        "My order (the one from May, number 123) is late"
    )
    assert clean(_t(_seg("(laughs) Okay, sure."))).text == "Okay, sure."


def test_clean_keeps_language_and_duration() -> None:
    cleaned = clean(_t(_seg("[Music]")))
    assert (cleaned.language, cleaned.duration) == ("en", 5.0)


@pytest.fixture(scope="module")
def engine() -> SttEngine:
    return create_engine(Settings(_env_file=None, stt_engine="faster-whisper", stt_model="tiny.en"))  # type: ignore[call-arg]


def test_three_seconds_of_silence_transcribe_to_nothing(engine: SttEngine) -> None:
    assert clean(engine.transcribe(np.zeros(48_000, dtype=np.float32))).text == ""


@pytest.mark.parametrize("level", [0.01, 0.1, 0.5])
def test_white_noise_transcribes_to_nothing(engine: SttEngine, level: float) -> None:
    noise = np.random.default_rng(7).normal(0.0, level, 48_000).clip(-1, 1).astype(np.float32)
    assert clean(engine.transcribe(noise)).text == ""


def test_raw_whisper_output_on_noise_is_cleaned_away() -> None:
    # What tiny.en says about white noise and a pure tone with its own no-speech skip turned off.
    for text, no_speech, logprob in [("you", 0.95, -1.51), (".", 0.95, -1.19), ("You", 0.75, -1.73)]:
        raw = _t(_seg(text, 0.0, 3.0, no_speech_prob=no_speech, avg_logprob=logprob, compression_ratio=0.27))
        assert clean(raw).text == ""


def test_a_sentence_said_again_and_a_trailing_restart_are_dropped() -> None:
    looped = "Rice is often served in round bowls. Rice is often served in round bowls. Rice is often"
    assert repeats_itself(looped)
    assert drop_repeated_sentences(looped) == "Rice is often served in round bowls."
    assert drop_repeated_sentences("Will we ever forget it? Will we ever forget it?") == "Will we ever forget it?"


def test_short_answers_and_new_sentences_are_not_repeats() -> None:
    for text in ("No. No.", "Hello? Hello?", "I want a refund. I want it today.", "My order. My order number is 12."):
        assert not repeats_itself(text), text
