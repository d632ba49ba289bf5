"""PII redaction: cards (written and spoken), SSNs and labelled IDs masked; other numbers left alone."""

from __future__ import annotations

import re
import time

import pytest

from earshot.assist.factory import create_partial_redactor, create_redactor
from earshot.assist.redact import redact, redact_partial, redact_text
from earshot.assist.spoken import digit_sequences
from earshot.config import Settings
from earshot.transcription.streaming import LocalAgreement

SPOKEN = {"0": "oh", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
          "8": "eight", "9": "nine"}  # fmt: skip


def _spoken(digits: str) -> str:
    return " ".join(SPOKEN[d] for d in digits)


@pytest.mark.parametrize(
    ("said", "last4"),
    [
        ("My card is 4111 1111 1111 1111.", "1111"),
        ("It's 4111-1111-1111-1111, expiring next year.", "1111"),
        ("the number is 4111111111111111", "1111"),
        ("Amex 3782 822463 10005 please", "0005"),
        ("Mastercard 5555 5555 5555 4444", "4444"),
        ("it is 5 5 5 5 5 5 5 5 5 5 5 5 4 4 4 4", "4444"),
        ("Discover 6011 0009 9013 9424 thanks", "9424"),
        ("a 13 digit one: 4222222222222", "2222"),
        ("four one one one, one one one one, one one one one, double one double one", "1111"),
        ("Put it on my visa, four oh oh oh, one two three four, five six seven eight, nine oh one oh", "9010"),
        ("three seven eight two, eight two two four six three, one oh oh oh five", "0005"),
        ("4111 1111 one one one one 1111 triple one one", "1111"),
        ("Okay the new one, four one one one one one one one one one one one one one one one", "1111"),
    ],
)
def test_card_numbers_are_masked_keeping_the_last_four(said: str, last4: str) -> None:
    result = redact(said)
    assert f"[card ending {last4}]" in result.text
    assert result.redactions == ["card"]
    digits_left = "".join(ch for ch in result.text if ch.isdigit())
    assert digits_left in (last4, "13" + last4), result.text


def test_the_words_around_a_card_are_kept() -> None:
    result = redact("My card is 4111 1111 1111 1111, expiry oh four twenty six.")
    assert result.text == "My card is [card ending 1111], expiry oh four twenty six."


def test_an_expiry_date_glued_to_the_card_is_trimmed_off() -> None:
    assert redact("4111 1111 1111 1111 12 26").text == "[card ending 1111] 12 26"


def test_a_number_said_to_be_a_card_is_masked_even_when_misheard() -> None:
    result = redact("my card number is 4111 1111 1111 1112")
    assert result.text == "my card number is [card ending 1112]" and result.redactions == ["card"]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        # tiny.en's hearing of "my card is six oh one one, double oh double nine, double oh one three, nine four two..."
        ("My card is 6, so 1, 1, double, double, 9, double, 1, 3, 9, 4, 2, 4,",
         "My card is 6, so 1, 1, double, double, 9, double, [card number],"),
        ("my card is 4111 1111, um, 1111 1111", "my card is [card number], um, [card number]"),
        # tiny.en repeating a digit of "my card number is four one one one, one one one one, ..."
        ("My card number is 4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1", "My card number is [card ending 1111]"),
        ("My card number is 9-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1", "My card number is [card number]"),
        ("card ending 4444, expiry 04 27, CVV 737", "card ending 4444, expiry 04 27, CVV [card security code]"),
        ("my card was charged twice for order 123456", "my card was charged twice for order 123456"),
    ],
)  # fmt: skip
def test_after_a_card_word_any_run_of_six_or_more_digits_is_masked(said: str, expected: str) -> None:
    assert redact_text(said) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("4111 1111 1111 1112", "[card ending 1112]"),
        # tiny.en's hearing of espeak saying "three seven eight two, eight two two four six three, one oh oh oh five"
        ("Sure, it's 3 7 8 2 8 2 2 4 6 3 1 0 5 1 0 5", "Sure, it's [card ending 5105]"),
        ("it is 5555 5555 5555 4445, expiring 04 27", "it is [card ending 4445], expiring 04 27"),
        # tiny.en's hearing of "the long number on the front is four oh one two, eight eight eight eight, ..."
        ("The long number on the front is 4012 8888888888888881", "The long number on the front is [card ending 8881]"),
    ],
)
def test_a_long_run_that_starts_like_a_card_is_masked_even_when_luhn_fails(said: str, expected: str) -> None:
    assert redact_text(said) == expected


@pytest.mark.parametrize(
    "said",
    [
        "call me on 4111 1111 1111 1112",
        "My number is 0044 7911 123456, or 07911 123 456.",
        "You can reach me at +1 415 555 2671 extension 1234.",
        "Yes, it is order one two three four five.",
        "order number 4111 1111 1111 1111",
        "My tracking number is 1Z 999 AA1 0123 4567 84.",
        "There is a charge of forty nine dollars on my card that I do not recognise.",
        "It cost $1,234.56 on 2024-05-01 at 10:30, and $49.99 on 12/05/2024.",
        "I was on hold for forty five minutes, from two oh five to two fifty.",
        "My email is jane dot doe at example dot com.",
        "The reference is 1234 5678 9012 3456 7890 1234.",
        "one two three, four five, six seven eight nine",
        "I need a passport photo for the form.",
        "Oh I see, that was the annual renewal.",
    ],
)
def test_other_numbers_are_left_alone(said: str) -> None:
    result = redact(said)
    assert result.text == said and result.redactions == []


@pytest.mark.parametrize(
    "said",
    [
        "My SSN is 123-45-6789.",
        "it's 123 45 6789",
        "my social security number is one two three, four five, six seven eight nine",
        "Social security number: 123456789.",
        "The last four of my social are six seven eight nine",
    ],
)
def test_social_security_numbers_are_masked(said: str) -> None:
    result = redact(said)
    assert "[SSN]" in result.text and result.redactions == ["ssn"]
    assert not any(ch.isdigit() for ch in result.text)
    assert not any(word in result.text.split() for word in ("six", "seven", "eight", "nine"))


def test_numbers_that_cannot_be_ssns_are_left_alone() -> None:
    for said in ("000-12-3456", "666-12-3456", "123-00-4567", "123-45-0000", "123-45 6789"):
        assert redact(said).text == said


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("national insurance number AB123456C", "national insurance number [national ID]"),
        (
            "my national insurance number is Q Q 12 34 56 C thanks",
            "my national insurance number is [national ID] thanks",
        ),
        ("My SIN is 046 454 286.", "My SIN is [national ID]."),
        (
            "my social insurance number is oh four six, four five four, two eight six",
            "my social insurance number is [national ID]",
        ),
        ("Passport number 533 380 006, issued in 2019.", "Passport number [national ID], issued in 2019."),
    ],
)
def test_labelled_national_ids_are_masked(said: str, expected: str) -> None:
    result = redact(said)
    assert result.text == expected and result.redactions == ["national_id"]


def test_a_card_security_code_is_masked() -> None:
    result = redact("card 4111 1111 1111 1111 and the CVV is seven three seven")
    assert result.text == "card [card ending 1111] and the CVV is [card security code]"
    assert result.redactions == ["card", "card_security_code"]


def test_several_kinds_come_back_in_order_of_appearance() -> None:
    result = redact("SSN 123-45-6789, card 5555 5555 5555 4444, NI number AB 12 34 56 C.")
    assert result.redactions == ["ssn", "card", "national_id"]
    assert result.text == "SSN [SSN], card [card ending 4444], NI number [national ID]."
    assert redact_text("SSN 123-45-6789") == "SSN [SSN]"


def test_text_without_pii_comes_back_unchanged() -> None:
    said = "I forgot my password and the reset email never arrives."
    assert redact(said).text == said and redact(said).redactions == []


def test_redaction_is_fast_enough_for_every_transcript() -> None:
    said = "Hi, I am calling about order 12345, my card 4111 1111 1111 1111 was charged twice. " * 4
    started = time.perf_counter()
    for _ in range(200):
        redact(said)
    assert (time.perf_counter() - started) / 200 < 0.005


def test_the_redact_pii_setting_picks_masking_or_nothing() -> None:
    said = "card 4111 1111 1111 1111"
    assert create_redactor(Settings())(said) == "card [card ending 1111]"
    assert create_redactor(Settings(redact_pii=False))(said) == said


def test_redacting_twice_changes_nothing_more() -> None:
    for said in (
        "My SIN is 046 454 286, and the CVV is 737, expiry 0426.",
        "national insurance number AB123456C, passport 533 380 006, card 4111 1111 1111 1111 and security code 123",
        "My SSN is 123-45-6789 and it ends 1234 5678.",
    ):
        once = redact_text(said)
        assert redact_text(once) == once


# ------------------------------------------------------------------ partials


def _shown(text: str, stable_text: str = "") -> str:
    return redact_partial(text, stable_text)[0]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("my card is 4111", "my card is [digits]"),
        ("my card is 4111 1111 1111", "my card is [digits]"),
        ("it's 4111-1111-11", "it's [digits]"),
        ("my card number is four one one one, one one", "my card number is [digits]"),
        ("four one double one and then", "[digits] and then"),
        ("it is 4111 one one one one, 1", "it is [digits]"),
        ("the order is 4412 I think", "the order is [digits] I think"),
        ("call me on 555 867 5309", "call me on [digits]"),
        ("my card is 2024", "my card is [digits]"),  # a year-like start of a card, still being said
        ("card 4111 1111 1111 1111 and", "card [card ending 1111] and"),
        ("card 4111 1111 1111 1111 12 2", "card [card ending 1111] [digits]"),
        ("my SSN is 123-45-6789 and", "my SSN is [SSN] and"),
    ],
)
def test_partials_mask_every_run_of_four_or_more_digits(said: str, expected: str) -> None:
    assert _shown(said) == expected


@pytest.mark.parametrize(
    "said",
    [
        "my card is 411",
        "order 12 arrived",
        "at 10:30 it cost $45.99, then $1,234.56",
        "I bought it in 2019 and it broke",
        "on 12/05/2024 I called",
        "I have two kids, one is four",
        "Oh, one more thing",
        "forty nine dollars and ninety nine cents",
    ],
)
def test_partials_show_short_numbers_times_amounts_and_years(said: str) -> None:
    assert _shown(said) == said


def _outside_masks(text: str) -> str:
    return re.sub(r"\[[^\]]*\]", " ", text)


SPOKEN_CARD = "my card number is four one one one, one one one one, one one one one, one one one one thanks"
WRITTEN_CARD = "my card is 4111 1111 1111 1111 and it expires 04 27"


@pytest.mark.parametrize("said", [SPOKEN_CARD, WRITTEN_CARD, "it's 4111-1111-1111-1111", " ".join("4111111111111111")])
def test_no_prefix_of_a_card_shows_more_than_three_of_its_digits(said: str) -> None:
    words = said.split()
    for n in range(1, len(words) + 1):
        partial = " ".join(words[:n])
        for shown in redact_partial(partial, " ".join(words[: max(0, n - 1)])):
            assert all(len(run) < 4 for run in digit_sequences(_outside_masks(shown), shortest=1)), (partial, shown)


@pytest.mark.parametrize("said", [SPOKEN_CARD, WRITTEN_CARD, "order 4412 please and 2019 was good, triple one two oh"])
def test_the_stable_prefix_shown_only_grows_and_starts_the_text(said: str) -> None:
    """As LocalAgreement commits all but the last word: each shown stable prefix extends the one before."""
    words = said.split()
    shown_before = ""
    for n in range(1, len(words) + 1):
        text, stable = redact_partial(" ".join(words[:n]), " ".join(words[: n - 1]))
        assert text.startswith(stable), (text, stable)
        assert stable.startswith(shown_before), (shown_before, stable)
        shown_before = stable


def test_masked_partials_of_local_agreement_keep_a_stable_prefix_that_only_grows() -> None:
    decodes = [
        "My card", "My card is four", "My card is 4111", "My card is 4111 1111 one", "My card is 4111 1111 1111 1",
        "My card is 4111 1111 1111 1111 and", "My card is 4111 1111 1111 1111 and it expires",
        "My card is 4111 1111 1111 1111 and it expires 04 27",
    ]  # fmt: skip
    agreement, shown_before = LocalAgreement(), ""
    for decode in decodes:
        text, stable = redact_partial(*agreement.update(decode)[::-1])
        assert text.startswith(stable) and stable.startswith(shown_before), (decode, text, stable, shown_before)
        assert not digit_sequences(_outside_masks(text), shortest=4), text
        shown_before = stable
    assert shown_before == "My card is [card ending 1111] and it expires"


def test_the_stable_prefix_holds_back_a_number_that_may_still_grow() -> None:
    assert redact_partial("my card is 4111 1111", "my card is 4111") == ("my card is [digits]", "my card is")
    assert redact_partial("it is four one double one", "it is four one double") == ("it is [digits]", "it is")
    closed = "order [digits] please"
    assert redact_partial("order 4412 please", "order 4412 please") == (closed, closed)
    assert redact_partial("I have two kids", "I have two") == ("I have two kids", "I have")


def test_the_final_decides_what_stays_masked() -> None:
    assert _shown("the order is 4412 I think") == "the order is [digits] I think"
    assert redact_text("the order is 4412 I think") == "the order is 4412 I think"


def test_the_redact_pii_setting_picks_partial_masking_or_nothing() -> None:
    assert create_partial_redactor(Settings())("card 4111 1111", "card") == ("card [digits]", "card")
    assert create_partial_redactor(Settings(redact_pii=False))("card 4111 1111", "card") == ("card 4111 1111", "card")


def test_partial_redaction_is_fast_enough_for_every_partial() -> None:
    said = "Hi, about order 12345, my card four one one one, one one one one, 4111 1111 was charged twice " * 4
    started = time.perf_counter()
    for _ in range(200):
        redact_partial(said, said[:-20])
    assert (time.perf_counter() - started) / 200 < 0.005
