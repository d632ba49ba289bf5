"""REST routes of agent assist: a suggestion on demand, and knowledge-base search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from earshot.assist.knowledge import KnowledgeBase
from earshot.assist.provider import SuggestionProvider
from earshot.assist.types import Suggestion, SuggestionRequest, Turn
from earshot.auth.deps import AgentUser
from earshot.customers.lookup import customer_context
from earshot.db import SessionDep
from earshot.inputs import DbInt

router = APIRouter(prefix="/api/assist", tags=["assist"])


class SuggestionQuery(BaseModel):
    utterance: str = Field(min_length=1, max_length=4000)
    history: list[Turn] = Field(default_factory=list, max_length=200)
    customer_id: DbInt | None = None


class ArticleOut(BaseModel):
    id: str
    title: str
    score: float
    snippet: str


@router.post("/suggestions")
async def suggest(body: SuggestionQuery, _user: AgentUser, session: SessionDep, request: Request) -> Suggestion:
    """The same suggestion a live call would get for this utterance."""
    customer = None
    if body.customer_id is not None:
        customer = await customer_context(session, body.customer_id)
        if customer is None:
            raise HTTPException(status_code=404, detail="no such customer")
    provider: SuggestionProvider = request.app.state.suggestions
    redact = request.app.state.hub.redact
    history = [Turn(speaker=t.speaker, text=redact(t.text)) for t in body.history]
    return await provider.suggest(SuggestionRequest(utterance=redact(body.utterance), history=history, customer=customer))


@router.get("/knowledge")
async def search_knowledge(
    _user: AgentUser, request: Request, q: Annotated[str, Query(min_length=1, max_length=200)], limit: int = 5
) -> list[ArticleOut]:
    knowledge: KnowledgeBase = request.app.state.knowledge
    return [ArticleOut(id=h.id, title=h.title, score=round(h.score, 3), snippet=h.snippet) for h in knowledge.search(q, limit)]
