"""Masks payment cards, US social security numbers and labelled national IDs in what was said.

Numbers are read as runs of digit tokens, spoken or written (see `spoken`). A run is a card
when it has 13-19 digits and starts like a card (2-6), passing the Luhn check or not
(speech-to-text mishears digits), or when a nearby word says "card"; after such a word, a run
of 6 or more digits is taken for (a piece of) one. Numbers labelled order, tracking, account
or phone are left alone. SSNs are masked in their written 3-2-4 shape, and any ID when a
label names it ("social security number", "SIN", "national insurance number", "passport
number"). The agent keeps a card's last four digits to confirm which card the customer means.
Partials, still being said, mask more: see `redact_partial`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from earshot.assist.spoken import (
    DIGIT_WORD,
    NUMBER_RUN,
    SPOKEN_DIGIT,
    TOKEN,
    TOKEN_SEPARATOR,
    token_digits,
)

RedactionKind = Literal["card", "card_security_code", "ssn", "national_id", "digits"]

MASKS: dict[RedactionKind, str] = {
    "card": "[card ending {last4}]",
    "card_security_code": "[card security code]",
    "ssn": "[SSN]",
    "national_id": "[national ID]",
    "digits": "[digits]",  # only in partials: a number still being said
}


@dataclass(frozen=True)
class RedactionResult:
    text: str
    redactions: list[RedactionKind] = field(default_factory=list)  # in order of appearance



# IDs mix letters and digits ("AB 12 34 56 C"): a token with a digit, one or two capitals
# (not "I"), or a spoken digit.
_ID_TOKEN = rf"(?:[A-Za-z]{{0,3}}\d[\dA-Za-z]*|(?-i:[A-HJ-Z]{{1,2}})\b|(?:double|triple)\s+{DIGIT_WORD}|{DIGIT_WORD})"
_ID_RUN = re.compile(rf"(?<![\w-])(?:{_ID_TOKEN})(?:{TOKEN_SEPARATOR}(?:{_ID_TOKEN}))*", re.IGNORECASE)

_SSN_WRITTEN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")

# (kind, label, fewest digits in the value, most digits, how far after the label it may start)
_LABELS: list[tuple[RedactionKind, re.Pattern[str], int, int, int]] = [
    ("ssn", re.compile(
        r"social security(?: number| no\.?)?|(?-i:\bSSN\b|\bS\.? S\.? N\b)|my social(?= is| number)"
        r"|last (?:four|4)(?: digits)? of (?:my |the )?social", re.IGNORECASE), 4, 9, 40),
    ("national_id", re.compile(
        r"national insurance(?: number| no\.?)?|(?-i:\bNI number|\bNINO\b|\bSIN\b|\bS\.? I\.? N\b|\bTIN\b)"
        r"|social insurance(?: number| no\.?)?|passport(?: number| no\.?)?|driv(?:er'?s|ing) licen[cs]e(?: number)?"
        r"|tax (?:id|identification)(?: number)?|national id(?:entity)?(?: card)?(?: number)?"
        r"|identity card(?: number)?",
        re.IGNORECASE), 5, 20, 40),
    ("card_security_code", re.compile(
        r"(?-i:\bCVV2?\b|\bCVC2?\b|\bCSC\b)|security code|(?:three|3) digits on the back", re.IGNORECASE), 3, 4, 25),
]  # fmt: skip

# The last label before a number says what it is; only card words make a Luhn failure a card.
_CONTEXT = re.compile(
    r"\b(?:(?P<card>card|visa|mastercard|master card|amex|american express|discover|debit|credit)"
    r"|(?P<other>order|tracking|reference|ref|confirmation|invoice|account|phone|mobile|cell|landline|call me|"
    r"ring me|reach me|customer number|member(?:ship)? number|serial))\b",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 60
_OTHER_NUMBER_REACH = 25  # an order/phone/account label this close before a number names it
_CARD_DIGITS = range(13, 20)
_CARD_PIECE = 6
CARD_PIECE_MASK = "[card number]"  # part of a card: its last four are not known


def redact(text: str) -> RedactionResult:
    """Mask the PII in one utterance; text without any comes back unchanged."""
    spans = _spans(text)
    if not spans:
        return RedactionResult(text)
    return RedactionResult(_render(text, spans, len(text)), [kind for _, _, kind, _ in spans])


def _spans(text: str) -> list[tuple[int, int, RedactionKind, str]]:
    spans: list[tuple[int, int, RedactionKind, str]] = []
    _labelled(text, spans)
    _cards(text, spans)
    for match in _SSN_WRITTEN.finditer(text):
        _claim(spans, match.start(), match.end(), "ssn", MASKS["ssn"])
    return sorted(spans)


def _render(text: str, spans: list[tuple[int, int, RedactionKind, str]], end: int) -> str:
    """`text[:end]` with the spans before `end` replaced by their masks (spans are sorted, none crosses `end`)."""
    out, last = [], 0
    for start, stop, _, mask in spans:
        if stop > end:
            break
        out.append(text[last:start] + mask)
        last = stop
    out.append(text[last:end])
    return "".join(out)


# What a final's masks look like once logged: the recorder silences the audio of such a line.
_HELD_MASKS = [re.escape(m).replace(re.escape("{last4}"), r"\d{0,4}") for k, m in MASKS.items() if k != "digits"]
_HELD = re.compile("|".join([*_HELD_MASKS, re.escape(CARD_PIECE_MASK)]))


def held_pii(redacted_text: str) -> bool:
    """Whether a redacted line had a card number, SSN or ID masked in it."""
    return _HELD.search(redacted_text) is not None


def redact_text(text: str) -> str:
    """`redact` for callers that only want the masked text."""
    return redact(text).text


PARTIAL_MASK = MASKS["digits"]
PARTIAL_DIGITS = 4  # "4111" already narrows a card down; every card starts with such a run
_YEAR = re.compile(r"(?:19|20)\d\d")
_AFTER_WORD = " \t,.;:!?\u2013-"  # what may follow a word before the next one
_PENDING_REPEAT = re.compile(r"\b(?:double|triple)$", re.IGNORECASE)  # "double" before its digit


def redact_partial(text: str, stable_text: str) -> tuple[str, str]:
    """Mask a partial transcript and its stable prefix; returns (text, stable_text).

    A partial is an utterance still being heard, so a number in it may be the first part of a
    card that `redact` recognises only once complete. Besides what `redact` masks, a partial
    shows PARTIAL_MASK for every run of PARTIAL_DIGITS or more digits, written or spoken, mixed,
    with "double"/"triple" and spaces, dashes or commas between groups ("4111 1111", "four one
    double one", "41-11"), whatever it is labelled; the one exception is a lone written year
    followed by more words ("in 2019 I"). Shorter runs ("order 12", "10:30", "$45.99") show as
    said. The final, masked by `redact`, decides what stays masked.

    The web app shows the stable prefix and then the rest of the text, and the prefix never
    changes once shown: so it is the start of the masked text, cut back before a digit run or a
    masked span that reaches its end (the next words may still extend it).
    """
    spans = _partial_spans(text)
    if not text.startswith(stable_text):  # LocalAgreement never does this; stay safe if it did
        stable_spans = _partial_spans(stable_text)
        stable = _render(stable_text, stable_spans, _held_back(stable_text, stable_spans))
    else:
        stable = _render(text, spans, _held_back(stable_text, spans))
    return _render(text, spans, len(text)), stable.rstrip()


def _partial_spans(text: str) -> list[tuple[int, int, RedactionKind, str]]:
    # A card at the very end may still grow: its "last four" may not be the last four yet.
    spans = [(s, e, k, PARTIAL_MASK if k == "card" and _open_end(text, e) else m) for s, e, k, m in _spans(text)]
    for run in NUMBER_RUN.finditer(text):
        tokens = [(m.start() + run.start(), m.end() + run.start()) for m in TOKEN.finditer(run.group(0))]
        digits = sum(len(token_digits(text[start:end])) for start, end in tokens)
        if digits < PARTIAL_DIGITS or _closed_year(text, run):
            continue
        # What `redact` left of the run (an expiry after a card, extra digits) is masked too.
        group: list[tuple[int, int]] = []
        for token in [*tokens, None]:
            if token is not None and all(token[1] <= s or token[0] >= e for s, e, _, _ in spans):
                group.append(token)
            elif group:
                _claim(spans, group[0][0], group[-1][1], "digits", PARTIAL_MASK)
                group = []
    return sorted(spans)


def _open_end(text: str, end: int) -> bool:
    """Whether a number ending here may go on: nothing but a "double"/"triple" follows yet."""
    rest = text[end:].strip(_AFTER_WORD)
    return rest == "" or _PENDING_REPEAT.fullmatch(rest) is not None


def _closed_year(text: str, run: re.Match[str]) -> bool:
    return bool(_YEAR.fullmatch(run.group(0))) and not _open_end(text, run.end())


def _held_back(stable: str, spans: list[tuple[int, int, RedactionKind, str]]) -> int:
    """How much of the stable text to show: all of it, up to a digit run or masked span at its end."""
    cut = len(stable)
    while True:
        core = len(stable[:cut].rstrip(_AFTER_WORD))
        start = core
        pending = _PENDING_REPEAT.search(stable, 0, core)
        if pending is not None:
            start = pending.start()
        for run in NUMBER_RUN.finditer(stable, 0, core):
            if run.end() == core:
                start = min(start, run.start())
        for span_start, span_end, _, _ in spans:
            if span_start < core <= span_end:
                start = min(start, span_start)
        if start == core:
            return cut
        cut = start


def _claim(
    spans: list[tuple[int, int, RedactionKind, str]], start: int, end: int, kind: RedactionKind, mask: str
) -> None:
    if all(end <= s or start >= e for s, e, _, _ in spans):
        spans.append((start, end, kind, mask))


def _labelled(text: str, spans: list[tuple[int, int, RedactionKind, str]]) -> None:
    for kind, label, fewest, most, reach in _LABELS:
        for found in label.finditer(text):
            if _inside_mask(text, found.start()):
                continue  # "[national ID]", "[SSN]": already masked, redacting twice changes nothing
            for value in _ID_RUN.finditer(text, found.end()):
                between = text[found.end() : value.start()]
                if len(between) > reach or "[" in between or _context(between)[0] == "other":
                    break
                digits = _count_digits(value.group(0))
                if digits >= fewest and (kind != "card_security_code" or digits <= most):
                    _claim(spans, value.start(), value.end(), kind, MASKS[kind])
                    break


def _cards(text: str, spans: list[tuple[int, int, RedactionKind, str]]) -> None:
    for run in NUMBER_RUN.finditer(text):
        tokens = [
            (m.start() + run.start(), m.end() + run.start(), token_digits(m.group(0))) for m in TOKEN.finditer(run.group(0))
        ]
        total = sum(len(d) for _, _, d in tokens)
        if total < _CARD_PIECE:
            continue
        context, distance = _context(text[max(0, run.start() - _CONTEXT_CHARS) : run.start()])
        if context == "other" and distance <= _OTHER_NUMBER_REACH:
            continue
        found = _card_within(tokens, text, card_context=context == "card") if total >= min(_CARD_DIGITS) else None
        if found is not None:
            start, end, digits = found
            _claim(spans, start, end, "card", MASKS["card"].format(last4=digits[-4:]))
        elif context == "card":
            # Speech-to-text breaks a card up when it mishears a word ("double, 9, double, 1, 3, 9, 4, 2, 4") and
            # repeats digits ("4-1-1-1-1-..." past 19): after a card word, a run this long is (part of) one; an
            # expiry, a security code or the last four are shorter.
            _claim(spans, run.start(), run.end(), "card", CARD_PIECE_MASK)


def _card_within(tokens: list[tuple[int, int, str]], text: str, card_context: bool) -> tuple[int, int, str] | None:
    """The longest stretch of the run that is a card; edges may be trimmed when plausible.

    A transcript can glue a stray "one" or "oh" to a card, or an expiry date after it, so
    up to two tokens may be dropped at either end when they are spelled words, or the run
    is too long to be one card, or the customer said it is a card.
    """
    n = len(tokens)
    total = sum(len(d) for _, _, d in tokens)
    candidates = []
    for i in range(min(3, n)):
        for j in range(n, max(i, n - 3), -1):
            dropped = tokens[:i] + tokens[j:]
            if dropped and not (card_context or total > max(_CARD_DIGITS) or all(_is_word(text, t) for t in dropped)):
                continue
            digits = "".join(d for _, _, d in tokens[i:j])
            if len(digits) in _CARD_DIGITS:
                candidates.append((len(digits), i, j, digits))
    for _, i, j, digits in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if digits[0] in "23456" and _luhn_ok(digits):
            return tokens[i][0], tokens[j - 1][1], digits
    if card_context and total in _CARD_DIGITS:
        # Said to be a card but fails Luhn: most likely a mis-heard digit, still mask it.
        digits = "".join(d for _, _, d in tokens)
        return tokens[0][0], tokens[-1][1], digits
    # Speech-to-text often mishears or repeats one digit of a card read aloud, which breaks
    # Luhn (tiny.en hears "three seven eight two, ..., one oh oh oh five" as 16 digits): a
    # long run that starts like a card and is not labelled as something else is masked anyway
    # (all of it when it is too long: "4012 8888888888888881").
    for _, i, j, digits in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if digits[0] in "23456":
            return tokens[i][0], tokens[j - 1][1], digits
    digits = "".join(d for _, _, d in tokens)
    if digits[0] in "23456":
        return tokens[0][0], tokens[-1][1], digits
    return None


def _context(before: str) -> tuple[str | None, int]:
    """What the nearest label before a number says it is, and how many characters back."""
    last = None
    for found in _CONTEXT.finditer(before):
        last = found
    if last is None:
        return None, len(before)
    return ("card" if last.group("card") else "other"), len(before) - last.end()


def _inside_mask(text: str, position: int) -> bool:
    opening = text.rfind("[", 0, position)
    return opening != -1 and "]" not in text[opening:position]


def _count_digits(value: str) -> int:
    spoken = sum(len(token_digits(m.group(0))) for m in SPOKEN_DIGIT.finditer(value))
    return spoken + sum(ch.isdigit() for ch in value)


def _is_word(text: str, token: tuple[int, int, str]) -> bool:
    return not text[token[0]].isdigit()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
