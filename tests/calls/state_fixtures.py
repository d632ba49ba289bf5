"""Rows for the shared call state tests: agents, seats and calls written straight to the database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from earshot.auth.models import User
from earshot.calls.models import AgentSeat, Call, CallStatus
from earshot.calls.protocol import AgentStatus
from earshot.db import Database, utcnow


async def add_agent(db: Database, name: str, *, status: AgentStatus = AgentStatus.available, idle_for: float = 0.0,
                    connected: bool = True, instance_id: str | None = "here") -> int:
    async with db.sessions() as session:
        user = User(username=name, display_name=name.title(), password_hash="x", role="agent")
        session.add(user)
        await session.flush()
        session.add(
            AgentSeat(
                user_id=user.id,
                name=user.display_name,
                status=status,
                idle_since=utcnow() - timedelta(seconds=idle_for),
                instance_id=instance_id if connected else None,
                connection_id=uuid.uuid4().hex if connected else None,
            )
        )
        await session.commit()
        return user.id


async def add_call(db: Database, name: str, *, waited: float = 0.0, status: CallStatus = CallStatus.queued,
                   **columns: object) -> str:
    async with db.sessions() as session:
        queued_at: datetime = utcnow() - timedelta(seconds=waited)
        call = Call(id=uuid.uuid4().hex, status=status, channel="web", customer_name=name, customer_email=None,
                    customer_phone=None, customer_token_hash="x", queued_at=queued_at, last_seq=0, **columns)
        session.add(call)
        await session.commit()
        return call.id


async def get_call(db: Database, call_id: str) -> Call:
    async with db.sessions() as session:
        call = await session.get(Call, call_id)
        assert call is not None
        return call


async def get_seat(db: Database, user_id: int) -> AgentSeat | None:
    async with db.sessions() as session:
        return await session.get(AgentSeat, user_id)
