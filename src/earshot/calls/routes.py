"""REST routes for calls: a customer starts one; staff inspect them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from earshot.auth.deps import AgentUser
from earshot.auth.models import Role, User
from earshot.auth.proxies import client_address
from earshot.calls.admission import Admission
from earshot.calls.hub import CallHub
from earshot.calls.models import Call
from earshot.calls.schemas import AvailableAgent, CallStarted, CallSummary, StartCall
from earshot.calls.transfer import available_agents
from earshot.db import SessionDep

router = APIRouter(prefix="/api/calls", tags=["calls"])
agents_router = APIRouter(prefix="/api/agents", tags=["calls"])


def _summary(call: Call, agent: User | None) -> CallSummary:
    return CallSummary.model_validate(
        {**{c: getattr(call, c) for c in CallSummary.model_fields if hasattr(call, c)}, "call_id": call.id,
         "agent_name": agent.display_name if agent else None}
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def start_call(body: StartCall, request: Request) -> CallStarted:
    """Anyone may call in; the returned token is the only way to join this call.

    Refused with 429 past the caller's (or everyone's) budget of new calls, 503 while busy.
    """
    admission: Admission = request.app.state.admission
    # The caller's address: the peer's, or the one a trusted proxy forwarded (EARSHOT_TRUSTED_PROXIES).
    address = client_address(request, request.app.state.settings)
    if (refusal := admission.admit(address)) is not None:
        raise HTTPException(refusal.status, refusal.reason, headers={"Retry-After": str(refusal.retry_after)})
    hub: CallHub = request.app.state.hub
    call, token = await hub.create_call(body.name, body.email, body.phone, channel="web")
    return CallStarted(call_id=call.id, token=token)


# GET /api/calls (the list, with the history's filters) lives in sessions/routes.py.


@router.get("/{call_id}")
async def get_call(call_id: str, user: AgentUser, session: SessionDep) -> CallSummary:
    """Supervisors see any call; an agent only the calls they took."""
    call = await session.get(Call, call_id)
    if call is None or (not Role(user.role).at_least(Role.supervisor) and call.agent_id != user.id):
        raise HTTPException(status_code=404, detail="no such call")
    agent = await session.get(User, call.agent_id) if call.agent_id else None
    return _summary(call, agent)


@agents_router.get("/available")
async def agents_available(user: AgentUser, session: SessionDep) -> list[AvailableAgent]:
    """Agents free to take a call now (whom a call may be transferred to), the asker left out."""
    return [AvailableAgent(agent_id=seat.user_id, name=seat.name) for seat in await available_agents(session, user.id)]
