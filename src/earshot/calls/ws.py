"""The WebSocket endpoints of customers, agents and supervisors, and the shared receive loop."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, ValidationError

from earshot import __version__
from earshot.auth.deps import SignedIn, signed_in_from_websocket
from earshot.auth.sockets import StaffSockets
from earshot.auth.models import Role, User
from earshot.calls.connection import Connection
from earshot.calls.limits import TokenBucket
from earshot.calls.legs import CallLeg
from earshot.calls.hub import SUPERVISORS_CHANNEL, CallError, CallHub, agent_channel, call_channel
from earshot.calls.protocol import (
    CUSTOMER_VISIBLE_EVENTS,
    AcceptOffer,
    AttachCustomer,
    SuggestionFeedback,
    DeclineOffer,
    EndCall,
    Error,
    ErrorCode,
    Hello,
    HoldCall,
    TransferCall,
    Ping,
    Pong,
    Resume,
    Resumed,
    SendChat,
    SetAvailability,
    Speaker,
    Unwatch,
    UserInfo,
    Watch,
    WrapUp,
    client_message_adapter,
)
from earshot.config import Settings
from earshot.db import UNREACHABLE_MESSAGE, unreachable
from earshot.inputs import DbSeq, UnacceptableJson, parse_json

if TYPE_CHECKING:  # metrics reads calls; calls only hands it sockets
    from earshot.metrics.floor import FloorPublisher

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

CALL_SUBPROTOCOL = "earshot.v1"
"""The customer's socket offers this subprotocol and `token.<call token>`; we answer with this one."""
CALL_TOKEN_PREFIX = "token."

Handler = Callable[[Any], Awaitable[None]]


def _customer_may_see(message: dict[str, object]) -> bool:
    return message.get("type") in CUSTOMER_VISIBLE_EVENTS or message.get("type") == "queue_position"


async def _refuse(
    websocket: WebSocket, close_code: int, error_code: ErrorCode, text: str, subprotocol: str | None = None
) -> None:
    """Accept, explain and close: a browser cannot read the reason of a refused handshake."""
    await websocket.accept(subprotocol=subprotocol)
    await websocket.send_text(Error(code=error_code, message=text).model_dump_json())
    await websocket.close(code=close_code, reason=text[:120])


def _origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Cookie-authenticated sockets only from our own pages (cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser: API clients authenticate with a bearer token
        return True
    if origin in settings.cors_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


def _user_info(user: User) -> UserInfo:
    return UserInfo(id=user.id, username=user.username, display_name=user.display_name, role=user.role)


async def _staff(websocket: WebSocket, minimum: Role) -> SignedIn | None:
    settings: Settings = websocket.app.state.settings
    if not _origin_allowed(websocket, settings):
        await _refuse(websocket, CLOSE_FORBIDDEN, ErrorCode.forbidden, "cross-origin connection refused")
        return None
    signed_in = await signed_in_from_websocket(websocket, websocket.app.state.db, settings)
    if signed_in is None:
        await _refuse(websocket, CLOSE_UNAUTHORIZED, ErrorCode.unauthorized, "log in first")
        return None
    if not Role(signed_in.user.role).at_least(minimum):
        await _refuse(websocket, CLOSE_FORBIDDEN, ErrorCode.forbidden, f"requires the {minimum.value} role")
        return None
    return signed_in


def _staff_sockets(websocket: WebSocket) -> StaffSockets:
    """Where staff sockets are registered while open, so an account change can close them at once."""
    sockets: StaffSockets = websocket.app.state.staff_sockets
    return sockets


async def _changed_meanwhile(websocket: WebSocket, signed_in: SignedIn) -> bool:
    """Whether the login ended or the role changed while this staff socket was being set up.

    Asked once the socket is registered: a change committed before this check is seen here, one
    committed after it closes the socket through the registry. Either way none stays open.
    """
    settings: Settings = websocket.app.state.settings
    now = await signed_in_from_websocket(websocket, websocket.app.state.db, settings)
    return now is None or now.user.role != signed_in.user.role


def _call_token(websocket: WebSocket) -> str:
    """The call token the customer offered as the subprotocol `token.<TOKEN>`; "" when none."""
    for offered in websocket.scope.get("subprotocols", []):
        if offered.startswith(CALL_TOKEN_PREFIX):
            return str(offered[len(CALL_TOKEN_PREFIX) :])
    return ""


AudioHandler = Callable[[bytes], Awaitable[None]]


async def _serve(
    websocket: WebSocket, connection: Connection, handlers: dict[str, Handler], on_audio: AudioHandler | None = None
) -> None:
    """Read client messages until the socket closes; bad input gets an `error`, never a crash.

    JSON messages are counted against their own budget; audio frames are not (the call leg
    budgets those by duration), so an open microphone never crowds out chat or hang-up.
    """
    settings: Settings = websocket.app.state.settings
    budget = TokenBucket(settings.ws_message_burst, settings.ws_messages_per_second)
    handlers = {"ping": lambda _m: _pong(connection), **handlers}
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        text = frame.get("text")
        if text is None:
            error = await _audio(frame.get("bytes") or b"", on_audio)
        elif not budget.take():
            error = _with_ref(Error(code=ErrorCode.rate_limited, message="too many messages; slow down"), text)
        else:
            error = await _dispatch(text, settings, handlers)
            if error is not None and error.ref_type is not None:
                error = _with_ref(error, text)
        if error is not None:
            connection.send(error)


def _with_ref(error: Error, text: str) -> Error:
    """Name the refused message (its `type` and `client_id`) so the sender can tell which one it was."""
    try:
        raw = parse_json(text)  # refuses deep nesting (UnacceptableJson is a ValueError)
    except ValueError:
        return error
    if not isinstance(raw, dict):
        return error
    kind, client_id = raw.get("type"), raw.get("client_id")
    update: dict[str, str] = {}
    if error.ref_type is None and isinstance(kind, str) and kind in _CLIENT_TYPES:
        update["ref_type"] = kind
    if isinstance(client_id, str) and len(client_id) <= 64:
        update["ref_id"] = client_id
    return error.model_copy(update=update) if update else error


async def _dispatch(text: str, settings: Settings, handlers: dict[str, Handler]) -> Error | None:
    if len(text.encode()) > settings.max_message_bytes:
        return Error(code=ErrorCode.too_large, message=f"message over {settings.max_message_bytes} bytes")
    try:
        raw = parse_json(text)
    except UnacceptableJson as exc:
        return Error(code=ErrorCode.malformed, message=str(exc))
    except ValueError:
        return Error(code=ErrorCode.malformed, message="message is not valid JSON")
    if not isinstance(raw, dict):
        return Error(code=ErrorCode.malformed, message="message must be a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _CLIENT_TYPES:
        return Error(code=ErrorCode.unknown_type, message=f"unknown message type {kind!r}")
    try:
        message = client_message_adapter.validate_python(raw)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return Error(code=ErrorCode.invalid, message=detail or "invalid message", ref_type=kind)
    handler = handlers.get(kind)
    if handler is None:
        return Error(code=ErrorCode.forbidden, message=f"you may not send {kind!r}", ref_type=kind)
    try:
        await handler(message)
    except CallError as exc:
        return Error(code=exc.code, message=exc.message, ref_type=kind)
    except Exception as error:
        if unreachable(error):
            log.warning("handling %s failed: the database is unreachable (%s)", kind, error)
            return Error(code=ErrorCode.unavailable, message=UNREACHABLE_MESSAGE, ref_type=kind)
        log.exception("handling %s failed", kind)
        return Error(code=ErrorCode.internal, message="internal error; the team has been notified", ref_type=kind)
    return None


async def _audio(data: bytes, on_audio: AudioHandler | None) -> Error | None:
    if on_audio is None:
        return Error(code=ErrorCode.invalid, message="binary (audio) frames are not accepted on this connection")
    try:
        await on_audio(data)
    except CallError as exc:
        return Error(code=exc.code, message=exc.message, ref_type="audio")
    return None


_CLIENT_TYPES = frozenset(client_message_adapter.json_schema()["discriminator"]["mapping"])


async def _pong(connection: Connection) -> None:
    connection.send(Pong())


async def _replay(connection: Connection, hub: CallHub, call_id: str, keep: Callable[[dict[str, object]], bool]) -> None:
    """Send what this client has not seen of a call, then keep it following the call live."""
    after = connection.last_seq(call_id)

    async def missed() -> list[BaseModel]:
        # Asked again whenever the bus may have lost events: from wherever the client is by then.
        return list(await hub.events(call_id, connection.last_seq(call_id)))

    await connection.follow(call_channel(call_id), keep, catch_up=missed)
    last = connection.last_seq(call_id)
    connection.send(Resumed(call_id=call_id, replayed=last - after, last_seq=last))


async def _as_list(state: Awaitable[BaseModel]) -> list[BaseModel]:
    return [await state]


def _everything(_message: dict[str, object]) -> bool:
    return True


@router.websocket("/ws/call/{call_id}")
async def customer_socket(websocket: WebSocket, call_id: str, last_seq: DbSeq = 0) -> None:
    """The caller's side of one call; the per-call token is the only credential.

    The token comes as a subprotocol, never in the URL: URLs end up in access logs.
    """
    hub: CallHub = websocket.app.state.hub
    subprotocol = CALL_SUBPROTOCOL if CALL_SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
    if "token" in websocket.query_params:
        text = f"send the call token as the subprotocol {CALL_TOKEN_PREFIX}<token>, never in the URL"
        await _refuse(websocket, CLOSE_UNAUTHORIZED, ErrorCode.unauthorized, text, subprotocol)
        return
    token = _call_token(websocket)
    call = await hub.authorize_customer(call_id, token)
    if call is None:
        text = "unknown call, wrong call token, or the call is over"
        await _refuse(websocket, CLOSE_UNAUTHORIZED, ErrorCode.unauthorized, text, subprotocol)
        return
    await websocket.accept(subprotocol=subprotocol)
    connection = Connection(websocket, hub.bus)
    connection.start()
    connection.send(Hello(role="customer", call_id=call_id, server_version=__version__))
    connection.rewind(call_id, last_seq)
    await _replay(connection, hub, call_id, _customer_may_see)
    await hub.customer_joined(call_id, connection)

    async def chat(message: SendChat) -> None:
        await hub.send_chat(call_id, Speaker.customer, call.customer_name, message.text, message.client_id)

    async def end(_message: EndCall) -> None:
        await hub.end_call(call_id, Speaker.customer)

    async def resume(message: Resume) -> None:
        if await hub.authorize_customer(call_id, token) is None:
            raise CallError(ErrorCode.unauthorized, "the call is over")
        connection.rewind(call_id, message.last_seq)
        await _replay(connection, hub, call_id, _customer_may_see)

    leg = CallLeg(hub, websocket.app.state.transcription, Speaker.customer, websocket.app.state.recordings)
    handlers: dict[str, Handler] = {
        "chat": chat,
        "end_call": end,
        "resume": resume,
        "audio_start": leg.start,
        "audio_stop": lambda _m: leg.stop(),
    }
    try:
        await _serve(websocket, connection, handlers, on_audio=lambda data: leg.frame(call_id, data))
    finally:
        await hub.customer_left(call_id, connection)
        await leg.close()
        await connection.close()


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket, last_seq: DbSeq = 0) -> None:
    """An agent's console: availability, offers, and their current call."""
    signed_in = await _staff(websocket, Role.agent)
    if signed_in is None:
        return
    user = signed_in.user
    hub: CallHub = websocket.app.state.hub
    await websocket.accept()
    connection = Connection(websocket, hub.bus)
    connection.start()

    async def sign_out(reason: str) -> None:
        await connection.close(CLOSE_UNAUTHORIZED, reason)
        await hub.agent_left(user, connection)  # now, not when the close completes: no offer in between

    registered = _staff_sockets(websocket).add(user.id, signed_in.login_id, sign_out)
    connection.send(Hello(role=user.role, user=_user_info(user), server_version=__version__))

    async def state_now() -> list[BaseModel]:
        # Joining tells the agent their state; after a gap on the bus, the database does.
        return await hub.agent_catch_up(user.id) if user.id in hub.agent_connections else []

    await connection.follow(agent_channel(user.id), catch_up=state_now)
    await hub.agent_joined(user, connection)
    if (current := hub.current_call_of_agent(user.id)) is not None:
        connection.rewind(current, last_seq)
        await _replay(connection, hub, current, _everything)

    def own_call(call_id: str | None) -> str:
        current = hub.current_call_of_agent(user.id)
        if current is None or (call_id is not None and call_id != current):
            raise CallError(ErrorCode.not_found, "that is not your current call")
        return current

    async def availability(message: SetAvailability) -> None:
        await hub.set_availability(user, message.available, message.reason)

    async def accept(message: AcceptOffer) -> None:
        await hub.accept_offer(user, message.call_id)
        # The previous call's channel stays followed until now so its wrap-up echo arrives.
        for channel in connection.channels():
            if channel.startswith("call:"):
                connection.unfollow(channel)
        await _replay(connection, hub, message.call_id, _everything)

    async def decline(message: DeclineOffer) -> None:
        await hub.decline_offer(user, message.call_id)

    async def chat(message: SendChat) -> None:
        await hub.send_chat(own_call(message.call_id), Speaker.agent, user.display_name, message.text, message.client_id)

    async def end(message: EndCall) -> None:
        await hub.end_call(own_call(message.call_id), Speaker.agent)

    async def wrap_up(message: WrapUp) -> None:
        await hub.wrap_up(user, message.call_id, message.disposition, message.notes)

    async def resume(message: Resume) -> None:
        call_id = own_call(message.call_id)
        connection.rewind(call_id, message.last_seq)
        await _replay(connection, hub, call_id, _everything)

    def assist() -> Any:
        pipeline = getattr(websocket.app.state, "assist", None)
        if pipeline is None:
            raise CallError(ErrorCode.conflict, "agent assist is not enabled on this server")
        return pipeline

    async def feedback(message: SuggestionFeedback) -> None:
        await assist().feedback(own_call(message.call_id), message.suggestion_id, message.accepted, user.id)

    async def attach(message: AttachCustomer) -> None:
        await assist().attach(own_call(message.call_id), message.customer_id)

    async def hold(message: HoldCall) -> None:
        await hub.set_hold(own_call(message.call_id), message.held)
        leg.hold(message.held)

    async def transfer(message: TransferCall) -> None:
        call_id = own_call(message.call_id)
        await hub.transfer_call(user, call_id, message.to_agent, message.reason)
        await leg.close()  # what they were saying is finished and logged
        # The agent has left the call: it is followed no more (the next agent's conversation is not
        # theirs to see), but the log up to the transfer reaches this console first, bus or not.
        connection.unfollow(call_channel(call_id))
        events = await hub.events(call_id, connection.last_seq(call_id))
        upto = next((i for i, e in enumerate(events) if e.type == "call_transferred"), len(events) - 1)
        connection.deliver(events[: upto + 1])

    leg = CallLeg(hub, websocket.app.state.transcription, Speaker.agent, websocket.app.state.recordings)
    handlers: dict[str, Handler] = {
        "suggestion_feedback": feedback,
        "attach_customer": attach,
        "audio_start": leg.start,
        "audio_stop": lambda _m: leg.stop(),
        "set_availability": availability,
        "accept_offer": accept,
        "decline_offer": decline,
        "chat": chat,
        "end_call": end,
        "wrap_up": wrap_up,
        "hold_call": hold,
        "transfer_call": transfer,
        "resume": resume,
    }
    async def audio(data: bytes) -> None:
        await leg.frame(hub.current_call_of_agent(user.id), data)

    try:
        if await _changed_meanwhile(websocket, signed_in):
            await sign_out("your account was changed; log in again")
        await _serve(websocket, connection, handlers, on_audio=audio)
    finally:
        _staff_sockets(websocket).discard(registered)
        await hub.agent_left(user, connection)
        await leg.close()
        await connection.close()


@router.websocket("/ws/supervisor")
async def supervisor_socket(websocket: WebSocket) -> None:
    """Every live call at a glance, and any call's events on request; read-only."""
    signed_in = await _staff(websocket, Role.supervisor)
    if signed_in is None:
        return
    user = signed_in.user
    hub: CallHub = websocket.app.state.hub
    await websocket.accept()
    connection = Connection(websocket, hub.bus)
    connection.start()

    async def sign_out(reason: str) -> None:
        await connection.close(CLOSE_UNAUTHORIZED, reason)

    registered = _staff_sockets(websocket).add(user.id, signed_in.login_id, sign_out)
    connection.send(Hello(role=user.role, user=_user_info(user), server_version=__version__))
    await connection.follow(SUPERVISORS_CHANNEL, catch_up=lambda: _as_list(hub.live_calls()))
    floor: FloorPublisher = websocket.app.state.floor
    await floor.watch(id(connection), connection.send)

    async def watch(message: Watch) -> None:
        if not await hub.call_exists(message.call_id):
            raise CallError(ErrorCode.not_found, f"no call {message.call_id}")
        connection.rewind(message.call_id, 0)
        await _replay(connection, hub, message.call_id, _everything)

    async def unwatch(message: Unwatch) -> None:
        connection.unfollow(call_channel(message.call_id))

    try:
        if await _changed_meanwhile(websocket, signed_in):
            await sign_out("your account was changed; log in again")
        await _serve(websocket, connection, {"watch": watch, "unwatch": unwatch})
    finally:
        floor.unwatch(id(connection))
        _staff_sockets(websocket).discard(registered)
        await connection.close()
