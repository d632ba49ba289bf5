"""How the customer feels: a sentiment analyser Protocol, its VADER implementation, and a per-call tracker.

VADER was built for social-media text. Customers on a support line complain mostly with
facts ("the reset email never arrives", "it is still not here") rather than sentiment
words, and they say "yes", "like", "please" and "help" as plain conversation. So the VADER
analyser here (a) drops those conversational words from its lexicon, (b) adds a few
single-word service terms, and (c) reads a small lexicon of customer-service phrases
(`NEGATIVE_CUES`, `POSITIVE_CUES`) whose valences, on VADER's own -4..+4 scale, are added
to VADER's sum before it is normalised into the compound score.
"""

from __future__ import annotations

import copy
import math
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np
import yaml
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from earshot.assist.intents import SentenceEncoder

SentimentLabel = Literal["negative", "neutral", "positive"]
SHIPPED_TONE_EXAMPLES = Path(__file__).with_name("sentiment_examples.yaml")


@dataclass(frozen=True)
class SentimentScore:
    score: float  # -1 (very negative) .. +1 (very positive)
    label: SentimentLabel
    confidence: float  # 0..1, how sure the label is


class SentimentAnalyzer(Protocol):
    name: str

    def score(self, text: str) -> SentimentScore:
        """Score one utterance; synchronous and fast (called on every final transcript)."""
        ...


@runtime_checkable
class OffLoopSentiment(Protocol):
    """An analyser that can score away from the event loop's process (in assist's workers)."""

    name: str

    def score(self, text: str) -> SentimentScore: ...

    async def score_off_loop(self, text: str) -> SentimentScore: ...


# Conversational words that VADER scores but that carry no feeling on a support call
# ("yes, it is order ...", "I would like a refund", "can you help me", "credit card").
NEUTRAL_WORDS = (
    "yes", "yeah", "like", "please", "help", "okay", "ok", "sure", "well", "pretty", "want",
    "support", "kind", "credit", "free", "interest", "care", "true", "no", "matter", "fine", "honestly",
)  # fmt: skip

# Single service words VADER lacks (or under-weights), on VADER's scale.
SERVICE_WORDS = {
    "cancel": -1.5, "declined": -1.5, "crashes": -1.5, "crashed": -1.5, "crashing": -1.5,
    "cracked": -1.5, "faulty": -2.0, "defective": -2.0, "overcharged": -2.0, "unusable": -2.0,
    "delayed": -1.0, "stuck": -1.2, "buzzing": -1.0, "barely": -1.0, "nobody": -1.0,
}  # fmt: skip


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_NOT = _any("not", "n't", "never", "no longer")
_FAIL = _any(
    "work", "works", "worked", "working", "print", "prints", "printing", "start", "starts", "turn on", "turns on",
    "charge", "charges", "charging", "connect", "connects", "load", "loads", "open", "opens", "log in", "sign in",
    "arrive", "arrived", "come", "came", "come through", "show up", "showed up", "shown up",
)  # fmt: skip
_FIXED = _any(
    "here", "arrived", "delivered", "working", "work", "fixed", "sorted", "resolved", "shown up", "come through"
)
_KEEPS = _any(
    "dropping", "crashing", "freezing", "failing", "disconnecting", "cutting out", "breaking", "happening", "saying",
    "going up", "getting", "sending", "asking",
)  # fmt: skip
_TIME = _any("minutes?", "hours?", "days?", "weeks?", "months?")

# Complaint language without sentiment words, by family. Order matters: earlier cues claim
# their words first, so "nothing has worked" is read before the positive "worked".
NEGATIVE_CUES: tuple[tuple[str, float], ...] = (
    # it does not work (any more)
    (r"nothing (?:[\w']+ ){0,4}(?:has |have )?(?:worked|helped|works|fixed)", -2.5),
    (r"(?:still|again) (?:\w+ )?" + _NOT + r" (?:\w+ )?" + _FIXED, -2.0),
    (r"still (?:hasn't|has not|haven't|have not|isn't|is not|wasn't|doesn't|does not)", -2.0),
    (r"nothing (?:happens|happened|loads|works|changed)", -2.0),
    (r"(?:stopped|stops|quit) (?:working|charging|printing|connecting)", -2.0),
    (r"(?:doesn't|don't|didn't|won't|wouldn't|isn't|wasn't|can't|cannot|couldn't|hasn't|haven't) "
     r"(?:really |even |always |actually |properly |seem to )?" + _FAIL, -2.0),
    (r"(?:does|do|did|will|would|is|was|can|could|has|have) not (?:\w+ )?" + _FAIL, -2.0),
    (r"keeps? " + _KEEPS, -2.0),
    (r"\berror\b", -2.0),
    # it never came, or came wrong
    (r"never (?:arrive[sd]?|came|showed up|turned up|got|received|signed up|ordered|agreed|authori[sz]ed)", -2.0),
    (r"(?:not|never|haven't|hasn't|didn't|wasn't|weren't) (?:been |yet )?(?:received|delivered)", -2.0),
    (r"took (?:over |more than |almost |nearly )?(?:a|an|\w+) (?:whole )?(?:weeks?|months?)", -1.5),
    (r"(?:wrong|damaged|broken|missing) (?:item|size|colour|color|order|part|package|parcel|product)", -2.0),
    (r"ordered (?:a |an |the )?(?:\w+ ){1,3}(?:and|but) (?:you |they |i )?(?:sent|got|received)", -2.0),
    # billing disputes
    (r"charged (?:me )?(?:twice|double|again)|double[- ]charged|billed (?:me )?(?:twice|again)", -2.0),
    (r"(?:charged|billed|invoiced?|bill) (?:me )?for (?:[\w']+ ){0,5}(?:i|we) (?:already |had )?"
     r"(?:returned|cancell?ed|never)", -2.0),
    (r"still (?:on|in) (?:my|the) (?:bill|statement|account)|still (?:being )?(?:charg|bill)(?:ed|ing)", -2.0),
    (r"(?:do not|don't|did not|didn't) recogni[sz]e", -2.0),
    (r"(?:too|so|really) expensive|can't afford|cannot afford|rip[- ]?off", -2.0),
    # waiting, repeating, being let down
    (r"on hold for|been waiting|still waiting|waiting (?:for |since )?(?:\w+ ){0,2}" + _TIME, -2.0),
    (r"(?:second|third|fourth|fifth|sixth|another|umpteenth|\d+(?:st|nd|rd|th)) time (?:i(?:'ve| have| am|'m) )?"
     r"(?:calling|called|rung|rang|phoned)", -2.0),
    (r"(?:explained|told you|told them|asked|called|rung|phoned) (?:this |that |you |about this )?(?:\w+ )?"
     r"(?:times|twice)", -2.0),
    (r"transferred (?:\w+ ){0,2}times", -2.0),
    (r"(?:never|didn't|did not|not) (?:\w+ )?(?:call(?:ed)?|get|got|ring|rang) (?:me |us )?back", -2.0),
    (r"(?:nobody|no one) (?:\w+ )?(?:called|got back|helped|answered|can tell|could tell|knows)", -1.5),
    (r"(?:heard|got) nothing", -1.5),
    (r"(?:you|i was|we were|i've been|they) (?:[\w']+ )?promised", -1.5),
    (r"locked out|(?:can't|cannot|can not|unable to) (?:log|sign) ?in|account (?:is |got |was )?locked", -2.0),
    # escalation, churn, exasperation
    (r"(?:speak|talk) to (?:a |your |the )?(?:supervisor|manager|someone else)|put me through to"
     r"|get me (?:a |your )?(?:supervisor|manager)", -2.0),
    (r"(?:i'm|i am) done with|had enough|never (?:again|use you)|taking my business", -2.5),
    (r"fed up|sick of|not happy|not good enough|waste of (?:time|money)|makes no sense|this is a joke", -2.5),
)  # fmt: skip

POSITIVE_CUES: tuple[tuple[str, float], ...] = (
    (r"(?:that |it )?makes sense", 2.0),
    (r"sounds (?:good|great|fine|perfect)", 2.0),
    (r"(?:it |that |this )?(?:worked|works now|working now|is working|'s working)", 2.0),
    (r"thanks (?:a lot|so much|very much)|thank you (?:so|very) much", 1.0),
    (r"sorted (?:it |that |everything )?(?:out)?|problem solved|(?:that|it)(?:'s| is) fixed|fixed it", 2.0),
    (r"(?:all|everything|exactly what) i needed", 1.5),
    (r"much better|that helps|that helped", 1.5),
    (r"(?:that's|that is|you're|you are) (?:very |really |so )?kind", 2.0),
)  # fmt: skip


def _compile(cues: tuple[tuple[str, float], ...]) -> list[tuple[re.Pattern[str], float]]:
    return [(re.compile(r"\b(?:" + pattern + r")\b", re.IGNORECASE), valence) for pattern, valence in cues]


_CUES = _compile(NEGATIVE_CUES) + _compile(POSITIVE_CUES)
# A negation within the same clause, up to two words before ("not been fixed"); "No. I've had
# enough" and "no, it still fails" are answers, not negations.
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|no|never|without|hardly)|n't)[^\w.,;:!?]+(?:\w+[^\w.,;:!?]+){0,2}$", re.IGNORECASE
)
# A request wrapped in thanks ("thanks, and what's the reference for the transfer?") is a
# request: the politeness around it alone does not make it positive.
_REQUEST = re.compile(
    r"\?\s*$|\b(?:can|could|would|will) you\b|\b(?:i'd|i would) like\b|\bi (?:need|want) (?:to|a|an|the|my)\b",
    re.IGNORECASE,
)
_POLITENESS = re.compile(r"\b(?:thanks|thank you|cheers|please|kindly)\b", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_ALPHA = 15.0  # VADER's normalisation constant
_NEGATION_SCALAR = -0.74  # VADER's N_SCALAR


def _normalize(raw: float) -> float:
    return raw / math.sqrt(raw * raw + _ALPHA)


def _denormalize(compound: float) -> float:
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(_ALPHA / (1 - compound * compound))


class VaderSentiment:
    """VADER compound score plus the customer-service phrase lexicon above.

    Labels: `score <= negative_below` is negative, `score >= positive_above` positive. The
    band is asymmetric because politeness ("thanks", "great") lifts neutral requests a
    little, while even mild complaint language matters to the agent.
    """

    name = "vader"

    def __init__(
        self,
        negative_below: float = -0.2,
        positive_above: float = 0.3,
        tone: ToneReference | None = None,
        tone_weight: float = 2.0,
    ) -> None:
        self.negative_below = negative_below
        self.positive_above = positive_above
        self.tone = tone
        self.tone_weight = tone_weight
        self._vader = SentimentIntensityAnalyzer()
        # Spelled-out letters ("L S six, three B Q") are everywhere on a support call; VADER
        # reads "l" as laughter.
        for word in [w for w in self._vader.lexicon if len(w) == 1] + list(NEUTRAL_WORDS):
            self._vader.lexicon.pop(word, None)
        self._vader.lexicon.update(SERVICE_WORDS)

    def score(self, text: str) -> SentimentScore:
        text = text.translate(_APOSTROPHES)
        remaining, cue_sum, cue_pos, cue_neg = self._read_cues(text)
        if _REQUEST.search(text):
            remaining = _POLITENESS.sub(lambda m: " " * len(m.group(0)), remaining)
        vader = self._vader.polarity_scores(remaining) if remaining.strip() else {"compound": 0.0, "pos": 0, "neg": 0}
        tone = self.tone_weight * self.tone.tone(text) if self.tone is not None else 0.0
        raw = _denormalize(vader["compound"]) + cue_sum + tone
        value = _normalize(raw)
        positive = cue_pos + vader["pos"] * 4 + max(tone, 0.0)
        negative = cue_neg + vader["neg"] * 4 + max(-tone, 0.0)
        return SentimentScore(round(value, 4), self._label(value), self._confidence(value, positive, negative))

    def texts_to_embed(self, text: str) -> list[str]:
        """What `score` will embed for this text (for embedding many utterances in one pass first)."""
        return [text.translate(_APOSTROPHES)] if self.tone is not None else []

    def _read_cues(self, text: str) -> tuple[str, float, float, float]:
        """Find the phrase cues, blank them out for VADER, and sum their valences."""
        chars = list(text)
        taken = [False] * len(text)
        total = positive = negative = 0.0
        for pattern, valence in _CUES:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(taken[start:end]):
                    continue
                for i in range(start, end):
                    taken[i] = True
                    chars[i] = " "
                if _NEGATION_BEFORE.search(text[:start]) and not _NEGATION_BEFORE.search(match.group(0)):
                    valence *= _NEGATION_SCALAR
                total += valence
                positive += max(valence, 0.0)
                negative += max(-valence, 0.0)
        return "".join(chars), total, positive, negative

    def _label(self, value: float) -> SentimentLabel:
        if value <= self.negative_below:
            return "negative"
        if value >= self.positive_above:
            return "positive"
        return "neutral"

    def _confidence(self, value: float, positive: float, negative: float) -> float:
        """Distance from the nearest label boundary, lowered when the evidence is mixed."""
        margin = min(abs(value - self.negative_below), abs(self.positive_above - value))
        confidence = 0.5 + 0.5 * math.tanh(margin / 0.25)
        if positive > 0 and negative > 0:
            confidence *= 1 - 0.5 * min(positive, negative) / max(positive, negative)
        return round(confidence, 3)


class ToneReference:
    """How support customers sound, by feeling: labelled examples compared by meaning.

    Complaints on a support line are mostly facts ("the parcel still hasn't come"), which no
    word list covers; their meaning is close to other complaints. The tone of an utterance
    is the label (-1, 0, +1) of its `k` nearest examples, weighted by similarity cubed so the
    closest ones dominate. Shipped examples: `sentiment_examples.yaml` beside this module.
    """

    LABELS: dict[SentimentLabel, float] = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}

    def __init__(self, encoder: SentenceEncoder, examples: dict[SentimentLabel, list[str]], k: int = 5) -> None:
        self.encoder = encoder
        self.k = k
        texts = [text for label in self.LABELS for text in examples.get(label, [])]
        if len(texts) < k:
            raise ValueError(f"sentiment examples: need at least {k}, got {len(texts)}")
        self._vectors = encoder.encode(texts)
        self._labels = np.array([self.LABELS[label] for label in self.LABELS for _ in examples.get(label, [])])

    @classmethod
    def load(cls, encoder: SentenceEncoder, path: Path | None = None) -> ToneReference:
        data = yaml.safe_load((path or SHIPPED_TONE_EXAMPLES).read_text(encoding="utf-8")) or {}
        unknown = set(data) - set(cls.LABELS)
        if unknown:
            raise ValueError(f"sentiment examples {path}: unknown label(s) {sorted(unknown)}")
        return cls(encoder, {label: [str(t) for t in data.get(label) or []] for label in cls.LABELS})

    def tone(self, text: str) -> float:
        """-1 (sounds like the negative examples) .. +1 (like the positive ones)."""
        similarity = self._vectors @ self.encoder.encode([text])[0]
        nearest = np.argsort(-similarity)[: self.k]
        weights = np.maximum(similarity[nearest], 0.0) ** 3
        total = float(weights.sum())
        return float((weights * self._labels[nearest]).sum() / total) if total > 0 else 0.0


@dataclass(frozen=True)
class SentimentUpdate:
    score: SentimentScore
    trend: float  # EWMA of the scores so far
    trend_delta: float  # change of the trend over the last `fall_window` utterances
    alert: str | None  # why the agent should look now, or None


class SentimentTracker:
    """One call's sentiment over time, and when to tell the agent (or supervisor) about it.

    An alert fires on a single very negative utterance (`score < alert_threshold`) or a
    sharp fall of the trend (by more than `fall` over the last `fall_window` utterances).
    After an alert the episode stays open, with no new alerts, until `calm_turns`
    utterances in a row trigger neither condition.
    """

    def __init__(
        self,
        alert_threshold: float = -0.5,
        fall: float = 0.4,
        fall_window: int = 3,
        alpha: float = 0.5,
        calm_turns: int = 2,
    ) -> None:
        self.alert_threshold = alert_threshold
        self.fall = fall
        self.alpha = alpha
        self.calm_turns = calm_turns
        self._trends: deque[float] = deque(maxlen=fall_window + 1)
        self._in_episode = False
        self._calm = 0

    @property
    def trend(self) -> float:
        return self._trends[-1] if self._trends else 0.0

    def add(self, score: SentimentScore) -> SentimentUpdate:
        trend = score.score if not self._trends else self.alpha * score.score + (1 - self.alpha) * self.trend
        self._trends.append(trend)
        delta = trend - self._trends[0]
        reason = self._reason(score, delta)
        alert = None
        if reason is None:
            self._calm += 1
            if self._calm >= self.calm_turns:
                self._in_episode = False
        else:
            self._calm = 0
            if not self._in_episode:
                self._in_episode = True
                alert = reason
        return SentimentUpdate(score=score, trend=round(trend, 4), trend_delta=round(delta, 4), alert=alert)

    def preview(self, score: SentimentScore) -> SentimentUpdate:
        """What `add` would say, leaving the tracker as it is (it follows the logged scores only)."""
        return copy.deepcopy(self).add(score)

    def _reason(self, score: SentimentScore, delta: float) -> str | None:
        if score.score < self.alert_threshold:
            return f"Very negative utterance (sentiment {score.score:+.2f})."
        if delta < -self.fall:
            start = self._trends[0]
            return (
                f"Sentiment falling sharply: trend {start:+.2f} to {self.trend:+.2f} "
                f"over the last {len(self._trends) - 1} utterances."
            )
        return None
