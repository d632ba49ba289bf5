"""The LLM suggestion provider against a real local server that speaks OpenAI's chat API.

The server (`openai_double`) is a small FastAPI app on a free port, run by uvicorn in a
thread; its path picks a behaviour (valid, slow, broken, not JSON, outside the schema).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from earshot.assist.llm import SYSTEM_PROMPT, LlmProvider
from earshot.assist.types import Action, Suggestion, SuggestionRequest, Turn
from earshot.customers.schemas import CustomerContext, OrderInfo, TicketInfo
from tests.assist.openai_double import API_KEY, GOOD, fake_openai
from tests.harness import free_port, serve_in_thread

@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(base URL, request bodies the server received) of the fake API, running for this module."""
    received: list[dict[str, Any]] = []
    with serve_in_thread(fake_openai(received)) as base_url:
        yield base_url, received


class CannedPlaybook:
    """Stands in for the playbook: always the same, obviously local, answer."""

    name = "playbook"

    def __init__(self) -> None:
        self.requests: list[SuggestionRequest] = []

    async def suggest(self, request: SuggestionRequest) -> Suggestion:
        self.requests.append(request)
        return Suggestion(
            suggestion="Apologise and check the order.",
            reasoning="Matched the refund intent.",
            action=Action.offer_refund,
            confidence=0.7,
            utterance=request.utterance,
            provider="playbook",
        )

    async def aclose(self) -> None:
        pass


@dataclass
class Hit:
    id: str
    title: str
    score: float
    snippet: str


class TinyKnowledge:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        self.queries.append(query)
        hits = [
            Hit("refund-policy", "Refund policy", 0.9, "Refunds within 30 days of delivery for faulty items."),
            Hit("returns", "Returning an item", 0.7, "Email a prepaid return label."),
            Hit("warranty", "Warranty claims", 0.5, "One year warranty on electronics."),
            Hit("shipping", "Shipping times", 0.2, "Standard delivery takes 3-5 days."),
        ]
        return hits[:limit]


CARD = "4111 1111 1111 1111"


def _request() -> SuggestionRequest:
    customer = CustomerContext(
        id=7,
        name="Jane Doe",
        email="jane.doe@example.com",
        phone="+1 415 555 2671",
        status="active",
        lifetime_value=1234.5,
        recent_orders=[
            OrderInfo(number="12345", placed_at=datetime(2024, 5, 1, 10), status="delivered", total=89.0,
                      items="Wireless headphones", carrier="UPS", expected_delivery=date(2024, 5, 4)),
        ],
        open_tickets=[
            TicketInfo(id=3, subject=f"Card {CARD} charged twice", status="open", priority="high",
                       created_at=datetime(2024, 5, 2), updated_at=datetime(2024, 5, 3)),
        ],
    )  # fmt: skip
    return SuggestionRequest(
        utterance=f"The left ear stopped working, refund it to my card {CARD} please.",
        history=[
            Turn(speaker="agent", text="Thanks for calling Acme, how can I help?"),
            Turn(speaker="customer", text="Hi, my SSN is 123-45-6789 if you need it."),
        ],
        customer=customer,
    )


@pytest.fixture
async def make_provider(server: tuple[str, list[dict[str, Any]]]) -> AsyncIterator[Any]:
    providers: list[LlmProvider] = []

    def make(mode: str = "ok", key: str = API_KEY, timeout: float = 2.5, base: str | None = None) -> LlmProvider:
        url = base or f"{server[0]}/{mode}/v1/"
        provider = LlmProvider(url, key, "test-model", timeout, fallback=CannedPlaybook(), knowledge=TinyKnowledge())
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        await provider.aclose()


async def test_a_valid_answer_becomes_the_suggestion(make_provider: Any) -> None:
    request = _request()
    suggestion = await make_provider().suggest(request)
    assert suggestion.provider == "llm"
    assert suggestion.suggestion == GOOD["suggestion"] and suggestion.reasoning == GOOD["reasoning"]
    assert suggestion.action is Action.offer_refund and suggestion.confidence == 0.86
    assert [s.id for s in suggestion.sources] == ["refund-policy", "returns", "warranty"]
    assert suggestion.utterance == request.utterance


async def test_the_request_is_an_openai_json_chat_with_context(
    make_provider: Any, server: tuple[str, list[dict[str, Any]]]
) -> None:
    await make_provider().suggest(_request())
    body = server[1][-1]["body"]
    assert body["model"] == "test-model" and body["temperature"] == 0.2
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert "never speak to the customer" in system["content"] and "JSON" in system["content"]
    assert all(action.value in system["content"] for action in Action)
    prompt = user["content"]
    assert user["role"] == "user"
    assert '"name":"Jane Doe"' in prompt and '"number":"12345"' in prompt
    assert "Refunds within 30 days" in prompt and "Shipping times" not in prompt
    assert "Agent: Thanks for calling Acme" in prompt
    assert "The left ear stopped working" in prompt


async def test_no_card_or_ssn_reaches_the_server(make_provider: Any, server: tuple[str, list[dict[str, Any]]]) -> None:
    provider = make_provider()
    await provider.suggest(_request())
    sent = json.dumps(server[1][-1]["body"])
    assert "4111" not in sent and "1111 1111" not in sent and "123-45-6789" not in sent
    prompt = server[1][-1]["body"]["messages"][1]["content"]
    assert prompt.count("[card ending 1111]") == 2 and "[SSN]" in prompt  # the utterance and the ticket
    assert "jane.doe@example.com" not in sent and "555 2671" not in sent
    assert all("4111" not in q for q in provider.knowledge.queries)


async def test_a_slow_server_falls_back_within_the_timeout(
    make_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider = make_provider("slow", timeout=0.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="earshot.assist.llm"):
        suggestion = await provider.suggest(_request())
    assert time.monotonic() - started < 0.5 + 0.3
    assert suggestion.provider == "playbook" and suggestion.suggestion == "Apologise and check the order."
    assert "timed out after 0.5 s" in suggestion.reasoning and "playbook fallback" in suggestion.reasoning
    assert "timed out" in caplog.text


@pytest.mark.parametrize(
    ("mode", "key", "why"),
    [
        ("broken", API_KEY, "HTTP 500"),
        ("ok", "sk-wrong", "HTTP 401"),
        ("garbage", API_KEY, "not JSON"),
        ("badaction", API_KEY, "action"),
        ("overconfident", API_KEY, "confidence"),
        ("notchat", API_KEY, "not a chat completion"),
    ],
)
async def test_a_bad_answer_falls_back_to_the_playbook(make_provider: Any, mode: str, key: str, why: str) -> None:
    provider = make_provider(mode, key=key)
    suggestion = await provider.suggest(_request())
    assert suggestion.provider == "playbook" and suggestion.action is Action.offer_refund
    assert why in suggestion.reasoning and suggestion.reasoning.startswith("Matched the refund intent.")
    assert len(provider.fallback.requests) == 1


async def test_an_unreachable_server_falls_back(make_provider: Any) -> None:
    provider = make_provider(base=f"http://127.0.0.1:{free_port()}/v1")
    suggestion = await provider.suggest(_request())
    assert suggestion.provider == "playbook" and "ConnectError" in suggestion.reasoning


async def test_a_json_fence_around_the_answer_is_tolerated(make_provider: Any) -> None:
    suggestion = await make_provider("fenced").suggest(_request())
    assert suggestion.provider == "llm" and suggestion.action is Action.offer_refund


async def test_one_client_serves_many_concurrent_suggestions(make_provider: Any) -> None:
    provider = make_provider()
    results = await asyncio.gather(*(provider.suggest(_request()) for _ in range(10)))
    assert {r.provider for r in results} == {"llm"}


def test_the_factory_wraps_the_playbook_when_the_llm_is_chosen() -> None:
    pytest.importorskip("earshot.assist.playbook")
    from earshot.assist.factory import create_suggestion_provider
    from earshot.config import Settings

    settings = Settings(assist_provider="llm", assist_llm_timeout_seconds=1.5, assist_llm_model="llama3.1")
    llm = create_suggestion_provider(settings, TinyKnowledge())
    assert isinstance(llm, LlmProvider) and llm.timeout == 1.5 and llm.model == "llama3.1"
    assert llm.fallback.name == "playbook"
    assert create_suggestion_provider(Settings(), TinyKnowledge()).name == "playbook"
