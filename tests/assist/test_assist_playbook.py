"""The playbook provider: intent accuracy on calls it was not written from, customer-specific responses, bad playbooks."""

from __future__ import annotations

import asyncio

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from earshot.assist.factory import create_assist, create_sentence_encoder
from earshot.assist.knowledge import KnowledgeBase
from earshot.assist.playbook import PlaybookEngine, PlaybookError, load_playbook
from earshot.assist.types import Action, SuggestionRequest, Turn
from earshot.config import Settings
from earshot.customers.schemas import CustomerContext, OrderInfo, TicketInfo
from tests.harness import CALLS_AUDIO

DATA = Path(__file__).parent / "data"
MANIFEST = CALLS_AUDIO / "manifest.tsv"
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def engine() -> PlaybookEngine:
    encoder = create_sentence_encoder(Settings(_env_file=None))  # type: ignore[call-arg]
    return PlaybookEngine(load_playbook(), KnowledgeBase.load(), encoder, today=lambda: TODAY)


@pytest.fixture(scope="module")
def words_only() -> PlaybookEngine:
    return PlaybookEngine(load_playbook(), KnowledgeBase.load(), None, today=lambda: TODAY)


def _calls(path: Path) -> list[list[dict[str, Any]]]:
    return [call["turns"] for call in json.loads(path.read_text())]


def _manifest_calls() -> list[list[dict[str, Any]]]:
    calls: dict[str, list[dict[str, Any]]] = {}
    with MANIFEST.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            calls.setdefault(row["call"], []).append(row)
    return list(calls.values())


def _accuracy(engine: PlaybookEngine, calls: list[list[dict[str, Any]]]) -> tuple[float, list[str]]:
    right, misses = 0, []
    for turns in calls:
        history: list[Turn] = []
        for turn in turns:
            if turn["speaker"] == "customer" and turn.get("intent"):
                action = engine.suggest(SuggestionRequest(utterance=turn["text"], history=list(history))).action
                right += action == turn["intent"]
                if action != turn["intent"]:
                    misses.append(f"{turn['intent']} != {action.value}: {turn['text']}")
            history.append(Turn(speaker=turn["speaker"], text=turn["text"]))
    total = right + len(misses)
    return right / total, misses


def test_held_out_calls_get_the_right_action(engine: PlaybookEngine) -> None:
    # 53 calls written apart from the playbook and never used to tune it (129 customer turns).
    accuracy, misses = _accuracy(engine, _calls(DATA / "calls_test.json"))
    assert accuracy >= 0.85, misses


def test_the_tuning_calls_get_the_right_action(engine: PlaybookEngine) -> None:
    accuracy, misses = _accuracy(engine, _calls(DATA / "calls_dev.json"))
    assert accuracy >= 0.88, misses


@pytest.mark.skipif(not MANIFEST.exists(), reason="shared call manifest not present")
def test_the_scripted_calls_get_the_right_action(engine: PlaybookEngine) -> None:
    accuracy, misses = _accuracy(engine, _manifest_calls())
    assert accuracy >= 0.9, misses


def test_without_the_encoder_words_and_cues_still_mostly_work(words_only: PlaybookEngine) -> None:
    accuracy, misses = _accuracy(words_only, _calls(DATA / "calls_test.json"))
    assert accuracy >= 0.65, misses


def test_every_action_has_an_intent() -> None:
    assert {intent.action for intent in load_playbook().intents} == set(Action)


def _customer(orders: list[OrderInfo], tickets: list[TicketInfo] | None = None, status: str = "active") -> CustomerContext:
    return CustomerContext(id=1, name="Emily Carter", email="emily.carter@example.com", phone="+14155550101",
                           status=status, lifetime_value=1543.5, recent_orders=orders, open_tickets=tickets or [])  # fmt: skip


HEADPHONES = OrderInfo(number="12345", placed_at="2026-11-03T10:00:00Z", status="delivered", total=129.99,
                       items="Wireless headphones x1", carrier="UPS", tracking_number="1Z999", expected_delivery=date(2026, 11, 7))  # fmt: skip
SPEAKER = OrderInfo(number="20417", placed_at="2026-10-19T10:00:00Z", status="shipped", total=238.99,
                    items="Bluetooth speaker x1, Smart thermostat x2", carrier="FedEx", tracking_number="771234567890",
                    expected_delivery=date(2026, 10, 26))  # fmt: skip
RENEWAL = OrderInfo(number="30049", placed_at="2026-10-15T03:00:00Z", status="delivered", total=49.0,
                    items="Premium plan annual renewal x1")  # fmt: skip
TICKET = TicketInfo(id=7, subject="Refund for order 52210 still not received", status="open", priority="urgent",
                    created_at="2026-10-22T10:00:00Z", updated_at="2026-10-22T10:00:00Z")  # fmt: skip


def _suggest(engine: PlaybookEngine, utterance: str, customer: CustomerContext | None, history: list[Turn] | None = None) -> Any:
    return engine.suggest(SuggestionRequest(utterance=utterance, history=history or [], customer=customer))


def test_a_refund_names_the_order_amount_and_window(engine: PlaybookEngine) -> None:
    customer = _customer([SPEAKER, HEADPHONES])
    suggestion = _suggest(engine, "The left ear of my headphones stopped working, I'd like a refund.", customer)
    assert suggestion.action is Action.offer_refund
    assert "12345" in suggestion.suggestion and "$129.99" in suggestion.suggestion and "Sat 7 Nov" in suggestion.suggestion
    assert "Emily" in suggestion.suggestion and "18 days" in suggestion.reasoning
    assert [s.id for s in suggestion.sources][0] == "refunds"


def test_a_late_parcel_says_how_late_with_which_carrier(engine: PlaybookEngine) -> None:
    suggestion = _suggest(engine, "My package was supposed to come last Monday and it still isn't here.", _customer([SPEAKER, HEADPHONES]))
    assert suggestion.action is Action.track_order
    assert "20417" in suggestion.suggestion and "30 days late" in suggestion.suggestion
    assert "FedEx" in suggestion.suggestion and "771234567890" in suggestion.suggestion
    assert "2 × Smart thermostat" in suggestion.suggestion


def test_an_amount_finds_the_charge_it_is_about(engine: PlaybookEngine) -> None:
    suggestion = _suggest(engine, "There's a charge of forty nine dollars I don't recognise.", _customer([HEADPHONES, RENEWAL]))
    assert suggestion.action is Action.explain_billing
    assert "30049" in suggestion.suggestion and "Premium plan annual renewal" in suggestion.suggestion


def test_a_vip_escalation_goes_to_the_priority_queue_with_the_ticket(engine: PlaybookEngine) -> None:
    customer = _customer([HEADPHONES], [TICKET], status="vip")
    suggestion = _suggest(engine, "I want to speak to your manager, right now.", customer)
    assert suggestion.action is Action.escalate
    assert "priority queue" in suggestion.suggestion and "#7" in suggestion.suggestion


def test_without_a_customer_record_the_advice_is_generic_but_complete(engine: PlaybookEngine) -> None:
    suggestion = _suggest(engine, "I want my money back for this blender.", None)
    assert suggestion.action is Action.offer_refund and "order number" in suggestion.suggestion
    assert "{" not in suggestion.suggestion + suggestion.reasoning


def test_identity_details_are_checked_against_the_record(engine: PlaybookEngine) -> None:
    history = [Turn(speaker="agent", text="Can you confirm your order number?")]
    right = _suggest(engine, "Yes, it is order one two three four five.", _customer([HEADPHONES]), history)
    wrong = _suggest(engine, "Yes, it is order nine nine eight seven six.", _customer([HEADPHONES]), history)
    assert right.action is wrong.action is Action.verify_identity
    assert "match" in right.suggestion and "do not match" in wrong.suggestion


def test_a_follow_up_keeps_the_topic(engine: PlaybookEngine) -> None:
    history = [Turn(speaker="customer", text="My printer won't print since the update."),
               Turn(speaker="agent", text="Have you tried turning it off and on again?")]  # fmt: skip
    suggestion = _suggest(engine, "Yes, twice. It's the Inkjet 3000.", None, history)
    assert suggestion.action is Action.troubleshoot


def test_gibberish_falls_back_to_asking_with_low_confidence(engine: PlaybookEngine) -> None:
    suggestion = _suggest(engine, "blorp zibble quantum marmalade", None)
    assert suggestion.action is Action.ask_question and suggestion.confidence <= 0.3


def test_the_same_input_always_gives_the_same_suggestion(engine: PlaybookEngine) -> None:
    customer = _customer([SPEAKER, HEADPHONES])
    first = _suggest(engine, "The chair came with a broken wheel.", customer)
    assert all(_suggest(engine, "The chair came with a broken wheel.", customer) == first for _ in range(3))


def test_confidence_is_higher_for_a_clear_request_than_a_vague_one(engine: PlaybookEngine) -> None:
    clear = _suggest(engine, "I forgot my password and the reset email never arrives.", None)
    vague = _suggest(engine, "It's about the thing from before.", None)
    assert clear.confidence > vague.confidence and 0 <= vague.confidence <= clear.confidence <= 1


MINIMAL = """
fallback_intent: other
intents:
  - id: other
    action: ask_question
    examples: [hello, help me, a question]
    responses:
      - say: Ask what they need.
        why: Nothing specific yet.
  - id: pets
    action: offer_solution
    examples: [my dog ate it, the cat broke it, a hamster chewed the cable]
    cues: ['\\b(dog|cat|hamster)\\b']
    responses:
      - when: [identified]
        say: "Offer {first_name} the pet-damage plan."
        why: Pet damage.
      - say: Offer the pet-damage plan.
        why: Pet damage.
"""


@pytest.mark.parametrize("workers", [0, 1])
async def test_a_playbook_from_settings_replaces_the_shipped_one(tmp_path: Path, workers: int) -> None:
    """In the server's process and in assist's worker processes alike."""
    path = tmp_path / "pets.yaml"
    path.write_text(MINIMAL)
    settings = Settings(assist_playbook_path=path, assist_workers=workers, _env_file=None)  # type: ignore[call-arg]
    assist = await asyncio.to_thread(create_assist, settings)
    try:
        suggestion = await assist.provider.suggest(SuggestionRequest(utterance="My dog chewed through the charger."))
    finally:
        await assist.provider.aclose()
    assert (suggestion.action, suggestion.suggestion) == (Action.offer_solution, "Offer the pet-damage plan.")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("action: offer_solution", "action: send_flowers"), "action"),
        (("Offer {first_name} the", "Offer {pet_name} the"), "unknown placeholder(s) ['pet_name']"),
        (("when: [identified]", "when: [has_pet]"), "unknown flag(s) ['has_pet']"),
        (("'\\b(dog|cat|hamster)\\b'", "'(dog'"), "bad regular expression"),
        (("      - say: Offer the pet-damage plan.\n        why: Pet damage.\n", ""), "always answer"),
        (("fallback_intent: other", "fallback_intent: nothing"), "fallback_intent 'nothing'"),
        (("id: pets", "id: other"), "used twice"),
        (("intents:", "intents: [oops"), "not valid YAML"),
    ],
)
def test_a_broken_playbook_is_refused_with_the_reason(tmp_path: Path, change: tuple[str, str], complaint: str) -> None:
    path = tmp_path / "playbook.yaml"
    assert change[0] in MINIMAL
    path.write_text(MINIMAL.replace(*change))
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    assert complaint in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_playbook_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read playbook"):
        load_playbook(tmp_path / "nope.yaml")
