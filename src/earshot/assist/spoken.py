"""Numbers as customers say them: digit strings ("two oh four one seven") and money amounts.

Transcripts spell numbers both ways ("4111 1111" and "four one one one, double one"), so
digits are read as runs of tokens: digit groups, digit words ("oh" and "nought" for zero)
and "double"/"triple" repeats. Used by PII redaction (card numbers) and by the playbook
(which order, which charge the customer means).
"""

from __future__ import annotations

import re

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "niner": "9",
}  # fmt: skip
REPEATS = {"double": 2, "triple": 3}
DIGIT_WORD = r"\b(?:zero|oh|o(?!['\u2019])|nought|one|two|three|four|five|six|seven|eight|nine|niner)\b"
DIGIT_TOKEN = rf"(?:\b(?:double|triple)\s+(?:{DIGIT_WORD}|\d\b)|{DIGIT_WORD}|\d+(?![\dA-Za-z]))"
# Between tokens: spaces, a dash, or punctuation followed by a space ("4111, 1111");
# never a bare comma or dot, so amounts like 1,234.56 stay whole.
TOKEN_SEPARATOR = r"(?:\s*[,;.]\s+|\s*[-\u2013]\s*|\s+)"
NUMBER_RUN = re.compile(
    rf"(?<![\w$\u00a3\u20ac])(?:{DIGIT_TOKEN})(?:{TOKEN_SEPARATOR}(?:{DIGIT_TOKEN}))*", re.IGNORECASE
)
TOKEN = re.compile(DIGIT_TOKEN, re.IGNORECASE)
SPOKEN_DIGIT = re.compile(rf"(?:\b(?:double|triple)\s+)?{DIGIT_WORD}", re.IGNORECASE)


def token_digits(token: str) -> str:
    """The digits one token stands for: "7" -> "7", "oh" -> "0", "double five" -> "55"."""
    parts = token.lower().split()
    if parts[0] in REPEATS:
        return token_digits(parts[-1]) * REPEATS[parts[0]]
    return DIGIT_WORDS.get(parts[0], parts[0])


def digit_sequences(text: str, shortest: int = 3) -> list[str]:
    """Every run of digits in the text with at least `shortest` digits, spoken or written."""
    found = []
    for run in NUMBER_RUN.finditer(text):
        digits = "".join(token_digits(m.group(0)) for m in TOKEN.finditer(run.group(0)))
        if len(digits) >= shortest:
            found.append(digits)
    return found


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "thousand", "and"], key=len, reverse=True))
_CURRENCY = r"(?:dollars?|bucks|pounds?|quid|euros?|usd|gbp|eur)"
_WRITTEN_AMOUNT = re.compile(
    rf"[$\u00a3\u20ac]\s?(\d[\d,]*(?:\.\d{{1,2}})?)|\b(\d[\d,]*(?:\.\d{{1,2}})?)\s?{_CURRENCY}\b", re.IGNORECASE
)
_SPOKEN_AMOUNT = re.compile(
    rf"\b((?:(?:{_NUMBER_WORD})[\s-]+)*(?:{_NUMBER_WORD}))\s+{_CURRENCY}"
    rf"(?:\s+(?:and\s+)?((?:(?:{_NUMBER_WORD})[\s-]+)*(?:{_NUMBER_WORD}))\s+(?:cents?|pence|p)\b)?",
    re.IGNORECASE,
)


def spoken_number(phrase: str) -> int | None:
    """ "forty nine" -> 49, "two hundred and fifty" -> 250, "a thousand" -> 1000; None if not a number."""
    total = current = 0
    seen = False
    for word in re.split(r"[\s-]+", phrase.lower().strip()):
        if word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def money_amounts(text: str) -> list[float]:
    """Amounts of money mentioned: "$49", "49.99 dollars", "forty nine dollars (and fifty cents)"."""
    amounts = []
    for match in _WRITTEN_AMOUNT.finditer(text):
        amounts.append(float((match.group(1) or match.group(2)).replace(",", "")))
    for match in _SPOKEN_AMOUNT.finditer(text):
        whole = spoken_number(match.group(1))
        if whole is None:
            continue
        cents = spoken_number(match.group(2)) if match.group(2) else 0
        amounts.append(whole + (cents or 0) / 100)
    return amounts


_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9][a-z0-9._%+-]*(?:\s+(?:dot|underscore|dash|hyphen)\s+[a-z0-9._%+-]+)*)\s+(?:at|@)\s+"
    r"([a-z0-9-]+(?:\s*(?:dot|\.)\s*[a-z0-9-]+)+)\b",
    re.IGNORECASE,
)
_WRITTEN_EMAIL = re.compile(r"\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b", re.IGNORECASE)
_EMAIL_WORDS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-"}


def email_addresses(text: str) -> list[str]:
    """Addresses written ("jane@example.com") or spoken ("jane dot doe at example dot com"), lower case."""
    found = [m.group(0).lower() for m in _WRITTEN_EMAIL.finditer(text)]
    for match in _SPOKEN_EMAIL.finditer(text):
        local = "".join(_EMAIL_WORDS.get(w, w) for w in match.group(1).lower().split())
        domain = "".join(_EMAIL_WORDS.get(w, w) for w in re.split(r"\s+|(?=\.)|(?<=\.)", match.group(2).lower()) if w)
        address = f"{local}@{domain}"
        if address not in found:
            found.append(address)
    return found
