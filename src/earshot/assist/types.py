"""The vocabulary of agent assist: actions, suggestion requests and suggestions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from earshot.customers.schemas import CustomerContext


class Action(StrEnum):
    ask_question = "ask_question"
    verify_identity = "verify_identity"
    offer_solution = "offer_solution"
    offer_refund = "offer_refund"
    offer_replacement = "offer_replacement"
    track_order = "track_order"
    troubleshoot = "troubleshoot"
    explain_billing = "explain_billing"
    reset_password = "reset_password"
    update_account = "update_account"
    cancel_service = "cancel_service"
    retention_offer = "retention_offer"
    escalate = "escalate"
    empathize = "empathize"
    close_call = "close_call"


class Turn(BaseModel):
    speaker: str = Field(pattern="^(customer|agent)$")
    text: str = Field(max_length=4000)


class SourceRef(BaseModel):
    """A knowledge-base article a suggestion draws on."""

    id: str
    title: str


class SuggestionRequest(BaseModel):
    utterance: str = Field(min_length=1, max_length=4000, description="What the customer just said or typed.")
    history: list[Turn] = Field(default_factory=list, max_length=200, description="The conversation before it.")
    customer: CustomerContext | None = None


class Suggestion(BaseModel):
    suggestion: str = Field(description="What the agent should say or do next, specific to this customer.")
    reasoning: str
    action: Action
    confidence: float = Field(ge=0, le=1)
    sources: list[SourceRef] = Field(default_factory=list)
    utterance: str = Field(description="The customer utterance this answers.")
    provider: str = Field(default="playbook", description="Which provider produced it (playbook, llm).")
