"""Phone calls through a Twilio Media Streams WebSocket: the caller is queued like a web customer.

Twilio sends `connected`, then `start` (with `customParameters` from the TwiML `<Parameter>`s),
then `media` frames of base64 G.711 mu-law at 8 kHz, and `stop` when the caller hangs up.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from earshot.calls.connection import Connection
from earshot.calls.hub import CallError, CallHub
from earshot.calls.legs import CallLeg
from earshot.calls.protocol import AudioStart, Speaker
from earshot.config import Settings
from earshot.inputs import parse_json

log = logging.getLogger(__name__)
router = APIRouter()

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class MediaFormat(BaseModel):
    encoding: str = "audio/x-mulaw"
    sampleRate: int = 8000  # noqa: N815 - Twilio's field names
    channels: int = 1


class StreamStart(BaseModel):
    model_config = ConfigDict(extra="allow")

    streamSid: str | None = None  # noqa: N815
    callSid: str | None = None  # noqa: N815
    customParameters: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    mediaFormat: MediaFormat = Field(default_factory=MediaFormat)  # noqa: N815


def _authorized(websocket: WebSocket, settings: Settings, parameters: dict[str, str]) -> bool:
    """A configured token must match; without one, only this machine, and only if the settings allow it."""
    if settings.telephony_token:
        return hmac.compare_digest(parameters.get("token", ""), settings.telephony_token)
    loopback = websocket.client is not None and websocket.client.host in LOOPBACK
    return settings.telephony_allow_loopback and loopback


@router.websocket("/ws/telephony/twilio")
async def twilio_media_stream(websocket: WebSocket) -> None:
    hub: CallHub = websocket.app.state.hub
    settings: Settings = websocket.app.state.settings
    await websocket.accept()
    call_id: str | None = None
    connection = Connection(websocket, hub.bus)  # registered as the caller; Twilio is sent nothing
    leg = CallLeg(hub, websocket.app.state.transcription, Speaker.customer, websocket.app.state.recordings)
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect" or frame.get("text") is None:
                break
            try:
                event = parse_json(frame["text"])
            except ValueError:
                log.warning("telephony: ignoring a frame that is not JSON")
                continue
            if not isinstance(event, dict):
                log.warning("telephony: ignoring a frame that is not a JSON object")
                continue
            kind = event.get("event")
            if kind == "start" and call_id is None:
                call_id = await _start(websocket, hub, settings, connection, leg, event)
                if call_id is None:
                    return
            elif kind == "media" and call_id is not None:
                await _media(leg, call_id, event)
            elif kind == "stop":
                break
    finally:
        await leg.close()
        if call_id is not None:
            await _hang_up(hub, call_id)
            await hub.customer_left(call_id, connection)
        await connection.close()


async def _start(
    websocket: WebSocket, hub: CallHub, settings: Settings, connection: Connection, leg: CallLeg, event: dict[str, Any]
) -> str | None:
    try:
        start = StreamStart.model_validate(event.get("start") or {})
    except ValidationError as exc:
        log.warning("telephony: bad start message: %s", exc)
        await websocket.close(code=1003, reason="bad start message")
        return None
    if not _authorized(websocket, settings, start.customParameters):
        log.warning("telephony: refused a media stream without a valid token")
        await websocket.close(code=4401, reason="telephony token required")
        return None
    if start.mediaFormat.encoding != "audio/x-mulaw" or start.mediaFormat.sampleRate != 8000:
        await websocket.close(code=1003, reason="only audio/x-mulaw at 8000 Hz is supported")
        return None
    params = start.customParameters
    phone = params.get("phone") or params.get("from") or None
    name = params.get("name") or phone or "Phone caller"
    call, _token = await hub.create_call(name[:128], None, phone[:32] if phone else None, channel="phone")
    await hub.customer_joined(call.id, connection)
    await leg.start(AudioStart(format="mulaw", sample_rate=8000))
    log.info("phone call %s (Twilio call %s) queued", call.id, start.callSid)
    return call.id


async def _media(leg: CallLeg, call_id: str, event: dict[str, Any]) -> None:
    media = event.get("media") or {}
    if not isinstance(media, dict) or media.get("track", "inbound") != "inbound":
        return
    try:
        audio = base64.b64decode(media.get("payload", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        log.info("telephony: call %s sent media that is not base64", call_id)
        return
    try:
        await leg.frame(call_id, audio)
    except CallError:
        pass  # on hold (not answered yet) or overloaded: Twilio cannot be told, and will not care


async def _hang_up(hub: CallHub, call_id: str) -> None:
    try:
        await hub.end_call(call_id, Speaker.customer)
    except CallError:
        pass  # already ended by the agent
