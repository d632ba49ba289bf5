"""What an agent sees of a customer (the record, recent orders, open tickets) and the ticket changes they make."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class OrderInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    placed_at: datetime
    status: str
    total: float
    items: str
    carrier: str | None = None
    tracking_number: str | None = None
    expected_delivery: date | None = None


class TicketInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime


class CustomerContext(BaseModel):
    """The customer panel's content, and what suggestions may draw on."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None
    phone: str | None
    status: str
    lifetime_value: float
    recent_orders: list[OrderInfo]
    open_tickets: list[TicketInfo]


class CustomerMatch(BaseModel):
    """A search hit or a candidate for an ambiguous caller."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None
    phone: str | None
    status: str
    score: float = 1.0


TicketStatus = Literal["open", "pending", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
TicketSubject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class TicketCreate(BaseModel):
    """A ticket an agent opens for a customer, usually during a call."""

    model_config = ConfigDict(extra="forbid")

    subject: TicketSubject
    body: str = Field(default="", max_length=4000)
    priority: TicketPriority = "normal"


class TicketUpdate(BaseModel):
    """The fields an agent may change on a ticket; those left out (or null) stay as they are."""

    model_config = ConfigDict(extra="forbid")

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    subject: TicketSubject | None = None
