"""Request and response bodies of the calls REST API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from earshot.calls.models import CallStatus, Disposition


class StartCall(BaseModel):
    """What a customer gives before being queued."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=128)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ().-]{5,31}$")

    @field_validator("email", "phone", mode="before")
    @classmethod
    def blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class CallStarted(BaseModel):
    call_id: str
    token: str = Field(
        description="The customer's secret for this call; offer it as the WebSocket subprotocol "
        "token.<token> (beside earshot.v1) on /ws/call/{call_id}, never in the URL."
    )


class CallSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    call_id: str
    status: CallStatus
    channel: str
    customer_name: str
    customer_email: str | None
    customer_phone: str | None
    agent_id: int | None
    agent_name: str | None
    queued_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    ended_by: str | None
    disposition: Disposition | None
    notes: str | None


class AvailableAgent(BaseModel):
    """An agent free to take a call (a transfer target)."""

    agent_id: int
    name: str
