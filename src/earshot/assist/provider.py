"""The one interface every suggestion provider implements (playbook, LLM)."""

from __future__ import annotations

from typing import Protocol

from earshot.assist.types import Suggestion, SuggestionRequest


class SuggestionProvider(Protocol):
    """Turns what the customer just said (with the call so far) into the agent's next step.

    `suggest` never raises for a bad utterance or a failing backend: it always answers, so
    the agent is never left without a suggestion.
    """

    name: str

    async def suggest(self, request: SuggestionRequest) -> Suggestion: ...

    async def aclose(self) -> None:
        """Release connections or workers; the provider is not used afterwards."""
        ...
