"""Hallucination suppression: remove text Whisper invents from silence, noise or its own loops.

The rules, applied by `clean` in this order:

1. **Doubtful segments.** A segment is dropped when the decoder itself says it is probably not
   speech (`no_speech_prob > 0.6` and `avg_logprob < -1.0`, Whisper's own skip rule), or when
   its text compresses too well to be speech (`compression_ratio > 2.4`, a repetition loop)
   even with each run of digits counted as one word: a caller reading "four one one one, one
   one one one" is repetitive and real, and dropping it left the agent with no transcript at
   all for the turn in which the card number was given. Whisper may loop inside such a run
   ("four" and fifty "one"s for sixteen digits read): a run is cut after 20 digits, more
   than any card or phone number has.
2. **Non-speech tags.** `[Music]`, `[BLANK_AUDIO]`, `(applause)`, `*laughs*` and music notes
   are stripped from the text. Parentheses are only stripped around short tags (up to four
   words), so a real aside survives.
3. **Loops.** A phrase of two or more words said three or more times in a row becomes one;
   a single word needs four in a row ("no, no, no" is a real answer, "you you you you" is
   not). The same goes for identical consecutive segments. Digits are never a loop: "one one
   one one" is how a 1111 is read out. A sentence of three or more words said again right
   after itself is said once, and a trailing unfinished fragment that only restarts the
   sentence before it ("Rice is often served in round bowls. Rice is often") is
   dropped: that is Whisper losing its end-of-text cue, and a caller who really repeats a whole
   sentence loses nothing of its meaning.
4. **Stock phrases.** A segment that is *only* a phrase Whisper learnt from video subtitles
   ("Thanks for watching", "Please subscribe", "Subtitles by ...", "you", "...") is dropped:
   nobody says these as a whole utterance on a support call. Short replies a caller does
   say ("Thank you.", "Thanks.", "Okay.", "Bye.") are dropped only when the whole utterance
   is that reply *and* the decoder doubted it (`no_speech_prob > 0.6` or
   `avg_logprob < -1.0`); a confident "Thank you." stays, and so does any of these phrases
   inside a longer utterance.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import replace
from itertools import groupby

from earshot.transcription.engine import Segment, Transcription, join_segments

NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
MAX_COMPRESSION_RATIO = 2.4
MAX_TAG_WORDS = 4
MAX_LOOP_PHRASE_WORDS = 12
MIN_REPEATED_SENTENCE_WORDS = 3
MAX_RUN_DIGITS = 20  # card numbers have at most 19 digits, phone numbers 15

# Whole-segment matches on normalised text (lowercase, punctuation removed).
_STOCK_PHRASES = re.compile(
    r"""
    (?:
        you
      | (?:thank\ you|thanks)(?:\ (?:so|very)\ much)?(?:\ (?:all|everyone|guys))?\ for\ watching
        (?:\ and\ see\ you\ (?:next\ time|in\ the\ next\ (?:one|video)))?
      | (?:please\ |don't\ forget\ to\ |dont\ forget\ to\ )?(?:like\ and\ )?subscribe
        (?:\ to\ (?:my|our|the)\ channel)?
      | (?:subtitles|subtitled|captions|captioned|captioning|transcription|transcribed|translated|translation)
        \ (?:by|from)\ .*
      | .*amara\ ?org.*
      | see\ you\ (?:in\ the\ )?next\ (?:time|video|one)
      | (?:music|applause|laughter|silence|blank\ audio|noise|inaudible)
    )
    """,
    re.VERBOSE,
)
_SHORT_REPLIES = frozenset(
    {"thank you", "thanks", "thank you very much", "thank you so much", "okay", "ok", "bye", "bye bye", "so", "oh"}
)

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_KEYS = frozenset(_DIGIT_WORDS)
_DIGIT = rf"(?:\d+|{'|'.join(_DIGIT_WORDS)})"
_DIGIT_RUN = re.compile(rf"\b{_DIGIT}(?:[\s,.\-]+{_DIGIT}\b)+", re.IGNORECASE)
_DIGIT_TOKEN = re.compile(rf"\b{_DIGIT}\b", re.IGNORECASE)

_BRACKET_TAG = re.compile(r"\[[^\]]*\]|<[^>]*>|\*[^*]{1,40}\*|[♪♫♬]+")
_PAREN_TAG = re.compile(r"\(([^()]*)\)")
_WORD_CHARS = re.compile(r"[^\w']+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def clean(transcription: Transcription) -> Transcription:
    """`transcription` with hallucinated segments, tags and loops removed (see module doc)."""
    segments = [replace(s, text=_bound_digit_runs(s.text)) for s in transcription.segments]
    segments = [s for s in segments if not _doubtful(s)]
    segments = [replace(s, text=drop_repeated_sentences(collapse_repeats(strip_tags(s.text)))) for s in segments]
    segments = [s for s in segments if _key(s.text) and not _STOCK_PHRASES.fullmatch(_key(s.text))]
    segments = _collapse_repeated_segments(segments)
    if len(segments) == 1 and _is_doubtful_short_reply(segments[0]):
        segments = []
    return replace(transcription, text=join_segments(segments), segments=tuple(segments))


def strip_tags(text: str) -> str:
    """`text` without bracketed non-speech tags such as `[Music]` or `(applause)`."""
    text = _BRACKET_TAG.sub(" ", text)
    text = _PAREN_TAG.sub(lambda m: " " if len(m.group(1).split()) <= MAX_TAG_WORDS else m.group(0), text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    return " ".join(text.split())


def collapse_repeats(text: str) -> str:
    """`text` with a phrase looped three or more times in a row (a word: four) said once."""
    words = text.split()
    keys = [_key(w) for w in words]
    kept: list[str] = []
    i = 0
    while i < len(words):
        step = _loop_at(keys, i)
        if step:
            n, repeats = step
            kept.extend(words[i + (repeats - 1) * n : i + repeats * n])  # the last copy keeps the end punctuation
            i += n * repeats
        else:
            kept.append(words[i])
            i += 1
    return " ".join(kept)


def repeats_itself(text: str) -> bool:
    """Whether `text` says a sentence again or ends by restarting one: a decode that lost its end."""
    return drop_repeated_sentences(text) != " ".join(text.split())


def drop_repeated_sentences(text: str) -> str:
    """`text` without a sentence repeated right after itself, or a trailing fragment restarting it."""
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    kept: list[str] = []
    for index, sentence in enumerate(sentences):
        previous = _key(kept[-1]).split() if kept else []
        words = _key(sentence).split()
        unfinished = index == len(sentences) - 1 and not sentence.rstrip().endswith((".", "?", "!"))
        if len(previous) >= MIN_REPEATED_SENTENCE_WORDS and words and (
            words == previous or (unfinished and previous[: len(words)] == words)
        ):
            continue
        kept.append(sentence)
    return " ".join(kept)


def _loop_at(keys: list[str], i: int) -> tuple[int, int] | None:
    """(phrase length, repeats) of the shortest loop starting at word `i`, if any."""
    for n in range(1, MAX_LOOP_PHRASE_WORDS + 1):
        phrase = keys[i : i + n]
        if len(phrase) < n or not any(phrase):
            return None
        if all(key.isdigit() or key in _DIGIT_KEYS for key in phrase):
            continue  # a number read out digit by digit
        repeats = 1
        while keys[i + repeats * n : i + (repeats + 1) * n] == phrase:
            repeats += 1
        if repeats >= (4 if n == 1 else 3):
            return n, repeats
    return None


def _collapse_repeated_segments(segments: list[Segment]) -> list[Segment]:
    """Three or more identical segments in a row are a loop: keep the first."""
    kept: list[Segment] = []
    for _, group in groupby(segments, key=lambda s: _key(s.text)):
        run = list(group)
        kept.extend(run[:1] if len(run) >= 3 else run)
    return kept


def _doubtful(segment: Segment) -> bool:
    no_speech = segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB
    loop = segment.compression_ratio > MAX_COMPRESSION_RATIO and _compression_ratio(
        _DIGIT_RUN.sub("0", segment.text)
    ) > MAX_COMPRESSION_RATIO
    return no_speech or loop


def _bound_digit_runs(text: str) -> str:
    """`text` with each run of digits cut after `MAX_RUN_DIGITS` of them."""

    def bound(run: re.Match[str]) -> str:
        digits = list(_DIGIT_TOKEN.finditer(run.group()))
        return run.group() if len(digits) <= MAX_RUN_DIGITS else run.group()[: digits[MAX_RUN_DIGITS - 1].end()]

    return _DIGIT_RUN.sub(bound, text)


def _compression_ratio(text: str) -> float:
    """Whisper's repetition measure: how much smaller zlib makes the text."""
    data = text.encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _is_doubtful_short_reply(segment: Segment) -> bool:
    unsure = segment.no_speech_prob > NO_SPEECH_PROB or segment.avg_logprob < LOW_LOGPROB
    return unsure and _key(segment.text) in _SHORT_REPLIES


def _key(text: str) -> str:
    """Lowercase words without punctuation: what two spellings of one phrase share."""
    words = _WORD_CHARS.sub(" ", text.lower().replace("_", " ").replace("\u2019", "'")).split()
    return " ".join(w for word in words if (w := word.strip("'")))
