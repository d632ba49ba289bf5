"""What an agent sees of a customer: the record, recent orders and open tickets."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


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
