"""Numbers and addresses as customers say them: order numbers, amounts, email addresses."""

from __future__ import annotations

import pytest

from earshot.assist.spoken import digit_sequences, email_addresses, money_amounts, spoken_number


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("Yes, it is order one two three four five.", ["12345"]),
        ("order 20417 please", ["20417"]),
        ("two oh four one seven", ["20417"]),
        ("it's double seven three, eight one", ["77381"]),
        ("I have two kids and one dog", []),
    ],
)
def test_digit_strings_are_read_spoken_or_written(said: str, digits: list[str]) -> None:
    assert digit_sequences(said) == digits


@pytest.mark.parametrize(
    ("said", "amounts"),
    [
        ("There is a charge of forty nine dollars on my card", [49.0]),
        ("they took $49.00 and then 129.99 dollars", [49.0, 129.99]),
        ("two hundred and fifty pounds", [250.0]),
        ("thirty nine dollars and ninety nine cents", [39.99]),
        ("a thousand euros", [1000.0]),
        ("it is a five star hotel", []),
    ],
)
def test_money_amounts_are_read_spoken_or_written(said: str, amounts: list[float]) -> None:
    assert money_amounts(said) == amounts


def test_spoken_numbers() -> None:
    assert [spoken_number(p) for p in ("forty nine", "two hundred and fifty", "a thousand", "seven")] == [49, 250, 1000, 7]
    assert spoken_number("banana") is None


@pytest.mark.parametrize(
    ("said", "addresses"),
    [
        ("My email is jane dot doe at example dot com.", ["jane.doe@example.com"]),
        ("it's Jane.Doe@Example.com", ["jane.doe@example.com"]),
        ("mike underscore smith at example dot net thanks", ["mike_smith@example.net"]),
        ("I'll be at home at five", []),
    ],
)
def test_email_addresses_are_read_spoken_or_written(said: str, addresses: list[str]) -> None:
    assert email_addresses(said) == addresses
