"""REST routes for customers: the agent's search box, a customer's panel, and their tickets."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import select

from earshot.auth.deps import AgentUser
from earshot.customers.lookup import customer_context, search_customers
from earshot.customers.models import Customer, Ticket
from earshot.customers.schemas import CustomerContext, CustomerMatch, TicketCreate, TicketInfo, TicketUpdate
from earshot.db import SessionDep
from earshot.inputs import DbInt

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/customers", tags=["customers"])


def _no_such(what: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no such {what}")


async def _customer_changed(request: Request, customer_id: int) -> None:
    """Live calls about this customer show the change at once, not at the next lookup."""
    assist = getattr(request.app.state, "assist", None)
    if assist is not None:
        await assist.customer_updated(customer_id)


# Declared before /{customer_id}, which would otherwise claim "search" and answer 422.
@router.get("/search")
async def search(
    _user: AgentUser,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[CustomerMatch]:
    """By name (typos and prefixes allowed), email fragment, phone digits or order number; best first."""
    return await search_customers(session, q, limit)


@router.get("/{customer_id}")
async def get_customer(customer_id: DbInt, _user: AgentUser, session: SessionDep) -> CustomerContext:
    context = await customer_context(session, customer_id)
    if context is None:
        raise _no_such("customer")
    return context


@router.post("/{customer_id}/tickets", status_code=status.HTTP_201_CREATED)
async def create_ticket(
    customer_id: DbInt, body: TicketCreate, user: AgentUser, session: SessionDep, request: Request
) -> TicketInfo:
    if await session.get(Customer, customer_id) is None:
        raise _no_such("customer")
    ticket = Ticket(customer_id=customer_id, subject=body.subject, body=body.body, priority=body.priority)
    session.add(ticket)
    await session.commit()
    log.info("ticket %s opened for customer %s by %s", ticket.id, customer_id, user.username)
    await _customer_changed(request, customer_id)
    return TicketInfo.model_validate(ticket)


@router.patch("/{customer_id}/tickets/{ticket_id}")
async def update_ticket(
    customer_id: DbInt, ticket_id: DbInt, body: TicketUpdate, user: AgentUser, session: SessionDep, request: Request
) -> TicketInfo:
    """Only the customer's own tickets: a ticket id under another customer is a 404, never an edit."""
    ticket = await session.scalar(select(Ticket).where(Ticket.id == ticket_id, Ticket.customer_id == customer_id))
    if ticket is None:
        raise _no_such("ticket")
    changes = body.model_dump(exclude_none=True)
    if changes:
        for name, value in changes.items():
            setattr(ticket, name, value)
        await session.commit()
        log.info("ticket %s of customer %s changed by %s: %s", ticket_id, customer_id, user.username, sorted(changes))
        await _customer_changed(request, customer_id)
    return TicketInfo.model_validate(ticket)
