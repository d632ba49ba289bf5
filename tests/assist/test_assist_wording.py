"""Suggestions on other people's wording: public customer-service data the playbook was not written from, and the known failure patterns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from earshot.assist.factory import create_sentence_encoder, create_sentiment_analyzer
from earshot.assist.intents import unwrap
from earshot.assist.knowledge import KnowledgeBase
from earshot.assist.playbook import PlaybookEngine, load_playbook
from earshot.assist.sentiment import SentimentAnalyzer
from earshot.assist.types import SuggestionRequest, Turn
from earshot.config import Settings

WORDING = Path(__file__).parent / "data" / "wording"


@pytest.fixture(scope="module")
def engine() -> PlaybookEngine:
    encoder = create_sentence_encoder(Settings(_env_file=None))  # type: ignore[call-arg]
    return PlaybookEngine(load_playbook(), KnowledgeBase.load(), encoder)


@pytest.fixture(scope="module")
def sentiment() -> SentimentAnalyzer:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return create_sentiment_analyzer(settings, create_sentence_encoder(settings))


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (WORDING / name).read_text(encoding="utf-8").splitlines()]


def _answers(engine: PlaybookEngine, rows: list[dict[str, Any]], history: bool) -> list[tuple[dict[str, Any], Any]]:
    return [
        (row, engine.suggest(SuggestionRequest(
            utterance=row["text"], history=[Turn.model_validate(t) for t in row.get("history", [])] if history else [])))
        for row in rows
    ]  # fmt: skip


def test_held_out_outside_wording_gets_the_right_action(engine: PlaybookEngine) -> None:
    # 129 customer requests from HINT3 and SGD, never tuned on; measured 0.938 alone, the same with history.
    answers = _answers(engine, _rows("actions_heldout.jsonl"), history=False)
    misses = [f"{row['action']} != {s.action.value}: {row['text']}" for row, s in answers if s.action != row["action"]]
    assert 1 - len(misses) / len(answers) >= 0.91, misses
    confident = [s.action == row["action"] for row, s in answers if s.confidence > 0.9]
    assert len(confident) >= 0.6 * len(answers) and sum(confident) / len(confident) >= 0.95


def test_held_out_outside_wording_with_the_dialogue_so_far(engine: PlaybookEngine) -> None:
    answers = _answers(engine, _rows("actions_heldout.jsonl"), history=True)
    assert sum(s.action == row["action"] for row, s in answers) / len(answers) >= 0.91


def test_the_outside_wording_tuning_set_gets_the_right_action(engine: PlaybookEngine) -> None:
    answers = _answers(engine, _rows("actions_dev.jsonl"), history=False)  # measured 0.935
    assert sum(s.action == row["action"] for row, s in answers) / len(answers) >= 0.91


def test_held_out_tweets_get_the_right_sentiment_more_often_than_not(sentiment: SentimentAnalyzer) -> None:
    # General-topic tweets, far from a support line: measured 0.568 (0.563 before this work).
    rows = _rows("sentiment_heldout.jsonl")
    right = sum(sentiment.score(row["text"]).label == row["sentiment"] for row in rows)
    assert right / len(rows) >= 0.54


# Made-up utterances of the shapes that went wrong on others' wording (none are in the playbook).
WRAPPED = [
    ("Can you help me find out where my parcel is?", "track_order"),
    ("I need help to change the address on my account.", "update_account"),
    ("What do I need to do to get my money back for the jacket?", "offer_refund"),
    ("Could you help me, I can't get into my account, it says my password is wrong.", "reset_password"),
    ("I need some help cancelling the order I placed yesterday.", "cancel_service"),
    ("Hi, can you help me understand this extra charge on my bill?", "explain_billing"),
    ("I was hoping you could help me with my router, it keeps dropping the connection.", "troubleshoot"),
    ("Can you help me, the blender arrived with a cracked jug.", "offer_replacement"),
]
DETAILS_AND_A_REQUEST = [
    ("Hi, I want to close my account, my account number is 4 4 1 2 7 7.", "retention_offer"),
    ("My name is Jane Porter and there's a charge on my statement I don't recognise.", "explain_billing"),
    ("I'd like a refund for order 55120, my email is j.porter@example.com.", "offer_refund"),
    ("It's under Mark Ellis, postcode LS6 2AB, and I still haven't got my parcel.", "track_order"),
    ("Account number 7 7 1 9 0 2, I need to reset my password.", "reset_password"),
    ("Yes, my order number is 88231.", "verify_identity"),  # details alone are still identity
]
OTHER_DOMAINS = [
    ("My new card still hasn't arrived.", "track_order"),
    ("Payments with my virtual card keep failing.", "troubleshoot"),
    ("I was charged a foreign transaction fee I didn't expect.", "explain_billing"),
    ("I want to update the billing address on my credit card.", "update_account"),
    ("I'd like to cancel my car insurance policy.", "retention_offer"),
    ("Why has my premium gone up this year?", "explain_billing"),
    ("I have no signal on my phone since yesterday.", "troubleshoot"),
    ("My mobile data isn't working abroad.", "troubleshoot"),
    ("There are roaming charges on my bill and I didn't travel.", "explain_billing"),
    ("I want to cancel my streaming subscription.", "retention_offer"),
    ("The transfer I made on Monday still hasn't reached the other account.", "track_order"),
    ("I can't log into the banking app, it says my PIN is wrong.", "reset_password"),
]
CLOSINGS = [
    ("See you later.", "close_call"),
    ("That's all, cheers.", "close_call"),
    ("No, that's everything, thanks a lot.", "close_call"),
    ("Okay, that's all I needed, bye now.", "close_call"),
    ("Thanks, you've sorted it, take care.", "close_call"),
    ("Nope, nothing else, have a good one.", "close_call"),
]


@pytest.mark.parametrize(("utterance", "action"), WRAPPED + DETAILS_AND_A_REQUEST + OTHER_DOMAINS + CLOSINGS)
def test_each_failure_pattern_gets_the_right_action(engine: PlaybookEngine, utterance: str, action: str) -> None:
    suggestion = engine.suggest(SuggestionRequest(utterance=utterance))
    assert suggestion.action == action, (suggestion.confidence, suggestion.reasoning)


def test_a_closing_after_the_agent_asks_for_anything_else_closes_the_call(engine: PlaybookEngine) -> None:
    history = [Turn(speaker="agent", text="Is there anything else I can help you with today?")]
    for utterance in ("No thanks so much.", "Nah, that's it.", "That should be all for now."):
        assert engine.suggest(SuggestionRequest(utterance=utterance, history=history)).action == "close_call", utterance


@pytest.mark.parametrize(
    ("label", "utterance"),
    [
        ("neutral", "Could you please tell me when my statement is sent out?"),
        ("neutral", "Hi, I'd like to check the balance on my savings account, please."),
        ("neutral", "I'm calling to update my phone number."),
        ("neutral", "Thanks, and what's the reference for the transfer?"),
        ("negative", "My card was declined again at the supermarket."),
        ("positive", "Brilliant, thank you so much for sorting that out."),
    ],
)
def test_polite_requests_read_as_neutral(sentiment: SentimentAnalyzer, label: str, utterance: str) -> None:
    assert sentiment.score(utterance).label == label


def test_the_request_inside_a_plea_for_help_is_read_on_its_own() -> None:
    assert unwrap("Can you help me find out where my parcel is?") == "find out where my parcel is?"
    assert unwrap("Hi, I need help to change my address.") == "change my address."
    assert unwrap("What do I need to do to get a refund?") == "get a refund?"
    assert unwrap("Can you help me?") is None  # nothing inside: it is the vague request itself
    assert unwrap("My parcel is late.") is None
