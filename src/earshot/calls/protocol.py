"""Every JSON message on Earshot's WebSockets, as pydantic models discriminated on `type`.

Client messages are what a customer, agent or supervisor sends; server messages are what
they receive. Messages that come from the call event log (`LoggedEvent` subclasses) carry
the event's `seq` and timing, so a client can de-duplicate and resume after a reconnect.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from earshot.assist.types import Action, SourceRef
from earshot.calls.models import CallStatus, Disposition
from earshot.customers.schemas import CustomerContext, CustomerMatch
from earshot.inputs import DbInt, DbSeq


class Speaker(StrEnum):
    customer = "customer"
    agent = "agent"


class ErrorCode(StrEnum):
    """Stable codes for the `error` message; clients may switch on them."""

    malformed = "malformed"  # not JSON, or not an object
    unknown_type = "unknown_type"  # `type` missing or not a known message
    invalid = "invalid"  # known type, but fields fail validation
    too_large = "too_large"  # frame over the size limit
    forbidden = "forbidden"  # the sender's role may not send this
    unauthorized = "unauthorized"  # no valid login or call token
    not_found = "not_found"  # no such call, or not this sender's call
    conflict = "conflict"  # valid message, wrong moment (e.g. chat after the call ended)
    rate_limited = "rate_limited"
    internal = "internal"
    unavailable = "unavailable"  # a part the server needs (its database) is unreachable; try again shortly


def _type_is_required(schema: dict[str, Any]) -> None:
    # `type` has a default so Python code can omit it, but on the wire it is always present.
    if "type" in schema.get("properties", {}):
        schema["required"] = ["type", *[name for name in schema.get("required", []) if name != "type"]]


class Message(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        use_enum_values=True,
        json_schema_extra=_type_is_required,
        json_schema_serialization_defaults_required=True,
    )


# ---------------------------------------------------------------- client -> server


class Ping(Message):
    type: Literal["ping"] = "ping"


class SendChat(Message):
    """Send a chat line in a call. `call_id` defaults to the sender's current call."""

    type: Literal["chat"] = "chat"
    call_id: str | None = None
    text: str = Field(min_length=1, max_length=2000)
    client_id: str | None = Field(
        default=None,
        max_length=64,
        description="The sender's own id for this line, echoed in its `chat` event or in the `error` refusing it.",
    )


class EndCall(Message):
    type: Literal["end_call"] = "end_call"
    call_id: str | None = None


class AwayReason(StrEnum):
    """Why an agent who is not taking calls is away; shown on their badge and to supervisors."""

    break_ = "break"
    lunch = "lunch"
    meeting = "meeting"
    training = "training"
    other = "other"


class SetAvailability(Message):
    """Agent only: ready to take calls, or not (and then, optionally, why)."""

    type: Literal["set_availability"] = "set_availability"
    available: bool
    reason: AwayReason | None = Field(default=None, description="Why the agent is away; ignored when available.")


class AcceptOffer(Message):
    type: Literal["accept_offer"] = "accept_offer"
    call_id: str


class DeclineOffer(Message):
    type: Literal["decline_offer"] = "decline_offer"
    call_id: str


class WrapUp(Message):
    """Agent only, after a call ended: how it went."""

    type: Literal["wrap_up"] = "wrap_up"
    call_id: str
    disposition: Disposition
    notes: str = Field(default="", max_length=4000)


class Resume(Message):
    """After a reconnect: send me the events of this call after `last_seq`."""

    type: Literal["resume"] = "resume"
    call_id: str | None = None
    last_seq: DbSeq = 0


class AudioStart(Message):
    """Announce the format of the binary audio frames that follow (default: pcm16 at 16 kHz).

    Binary frames carry one speaker's microphone: 20-100 ms of audio each.
    """

    type: Literal["audio_start"] = "audio_start"
    format: Literal["pcm16", "mulaw", "webm"] = "pcm16"
    sample_rate: Literal[8000, 16000, 48000] = 16000


class AudioStop(Message):
    """No more audio for now (muted or hung up): the utterance in progress is finished."""

    type: Literal["audio_stop"] = "audio_stop"


class SuggestionFeedback(Message):
    """Agent only: the agent used (accepted) or dismissed a suggestion; it is logged."""

    type: Literal["suggestion_feedback"] = "suggestion_feedback"
    call_id: str | None = None
    suggestion_id: str
    accepted: bool


class AttachCustomer(Message):
    """Agent only: this call is about that customer record (e.g. after a search)."""

    type: Literal["attach_customer"] = "attach_customer"
    call_id: str | None = None
    customer_id: DbInt


class HoldCall(Message):
    """Agent only: put the call on hold (the agent's audio stops reaching the call) or take it off."""

    type: Literal["hold_call"] = "hold_call"
    call_id: str | None = None
    held: bool


class TransferCall(Message):
    """Agent only: hand the call in progress to another available agent (`to_agent`) or back to the
    queue (`to: "queue"`), where it keeps its place at the front. Exactly one of the two is given."""

    type: Literal["transfer_call"] = "transfer_call"
    call_id: str | None = None
    to: Literal["queue"] | None = None
    to_agent: DbInt | None = Field(default=None, description="The user id of an available agent.")
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> TransferCall:
        if (self.to is None) == (self.to_agent is None):
            raise ValueError('give either "to": "queue" or "to_agent"')
        return self


class Watch(Message):
    """Supervisor only: start receiving a live call's events (history first)."""

    type: Literal["watch"] = "watch"
    call_id: str


class Unwatch(Message):
    type: Literal["unwatch"] = "unwatch"
    call_id: str


ClientMessage = Annotated[
    Ping
    | SendChat
    | EndCall
    | SetAvailability
    | AcceptOffer
    | DeclineOffer
    | WrapUp
    | Resume
    | AudioStart
    | AudioStop
    | SuggestionFeedback
    | AttachCustomer
    | HoldCall
    | TransferCall
    | Watch
    | Unwatch,
    Field(discriminator="type"),
]
client_message_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


# ---------------------------------------------------------------- server -> client


class UserInfo(Message):
    id: int
    username: str
    display_name: str
    role: str


class Hello(Message):
    """First message on every connection: who the server thinks you are."""

    type: Literal["hello"] = "hello"
    role: Literal["customer", "agent", "supervisor", "admin"]
    user: UserInfo | None = None
    call_id: str | None = None
    server_version: str


class Error(Message):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    ref_type: str | None = Field(default=None, description="The `type` of the message that caused it, if known.")
    ref_id: str | None = Field(default=None, description="The `client_id` of the message that caused it, if it had one.")


class Pong(Message):
    type: Literal["pong"] = "pong"


class QueuePosition(Message):
    """To a waiting customer: 1 means next in line."""

    type: Literal["queue_position"] = "queue_position"
    call_id: str
    position: int
    queue_length: int
    expected_wait_s: float | None = Field(
        default=None,
        description="Estimated seconds until an agent answers; null when no agent is on duty or no handle time is known yet.",
    )


class AgentStatus(StrEnum):
    unavailable = "unavailable"
    available = "available"
    offered = "offered"
    in_call = "in_call"
    wrap_up = "wrap_up"


class AgentState(Message):
    """To an agent: their own state, sent on connect and after every change."""

    type: Literal["agent_state"] = "agent_state"
    status: AgentStatus
    call_id: str | None = Field(default=None, description="The call being offered, in progress or to wrap up.")
    reason: AwayReason | None = Field(
        default=None, description="While `unavailable`: why, as the agent said (none after a missed offer)."
    )


class CallOffer(Message):
    """To an agent: a waiting customer; accept before `expires_at` or it moves on."""

    type: Literal["call_offer"] = "call_offer"
    call_id: str
    customer_name: str
    channel: str
    waited_seconds: float
    expires_at: datetime
    timeout_seconds: float


class OfferRevoked(Message):
    type: Literal["offer_revoked"] = "offer_revoked"
    call_id: str
    reason: Literal["expired", "declined", "customer_left", "disconnected"]


class LiveCall(Message):
    call_id: str
    status: CallStatus
    channel: str
    customer_name: str
    agent_name: str | None
    queued_at: datetime
    answered_at: datetime | None


class LiveCalls(Message):
    """To supervisors: every call not yet ended, sent on connect and after every change."""

    type: Literal["live_calls"] = "live_calls"
    calls: list[LiveCall]


class MetricAlert(Message):
    """To supervisors: a KPI drifted from its own history (see docs/metrics.md); listed until acknowledged."""

    type: Literal["metric_alert"] = "metric_alert"
    id: int = Field(description="Acknowledge with POST /api/metrics/alerts/{id}/acknowledge.")
    kpi: str = Field(description="The KPI that moved (a summary key), or `negative_streak`.")
    scope: str = Field(description="`all`, or `agent:<id>` for one agent.")
    bucket_start: datetime = Field(description="The hour judged (or the first call of a streak).")
    value: float
    baseline: float
    score: float = Field(description="Robust z-score against the baseline (the streak's length for a streak).")
    message: str = Field(description="What moved, by how much, against what baseline.")
    created_at: datetime


class CallKpis(BaseModel):
    """The KPIs of a period that come from its calls, under the names the API, the CSV, the XLSX and
    the UI share (docs/metrics.md)."""

    calls_handled: int
    calls_abandoned: int
    service_level: float | None
    average_speed_of_answer_s: float | None
    average_handle_time_s: float | None
    first_response_time_s: float | None
    resolution_rate: float | None
    abandonment_rate: float | None
    average_sentiment: float | None
    negative_call_share: float | None
    suggestion_acceptance_rate: float | None


class Kpis(CallKpis):
    """Every KPI of a period: its calls', and the agents' utilization."""

    utilization: float | None


class FloorQueue(Message):
    waiting: int = Field(description="Callers waiting for an agent (queued or ringing).")
    longest_waiting_since: datetime | None = Field(description="When the longest-waiting caller was queued.")
    longest_wait_s: float | None = Field(description="How long that caller had waited when this was sent.")
    expected_wait_s: float | None = Field(
        description="Estimated wait of a caller joining now; null when no agent is staffed or no handle time is known."
    )
    abandoned_last_hour: int = Field(description="Calls abandoned or dropped before an answer in the last hour.")


class FloorAgentState(StrEnum):
    available = "available"
    offered = "offered"
    in_call = "in_call"
    wrap_up = "wrap_up"
    unavailable = "unavailable"
    offline = "offline"


class FloorAgent(Message):
    agent_id: int
    agent_name: str
    state: FloorAgentState
    state_since: datetime | None = Field(description="When the agent entered this state; null when never seen.")
    call_id: str | None = Field(description="The call being offered, in progress or wrapped up (watch it by this id).")
    customer_name: str | None
    sentiment: float | None = Field(description="The call's sentiment trend at its last scored customer line (-1..1).")
    sentiment_label: Literal["negative", "neutral", "positive"] | None


class Floor(Message):
    """To supervisors: the floor now (queue, every agent, today's KPIs), sent on connect and after changes.

    A fresh snapshot each time, at most a few per second; the newest `at` wins."""

    type: Literal["floor"] = "floor"
    at: datetime = Field(description="When the snapshot was read from the database.")
    queue: FloorQueue
    agents: list[FloorAgent]
    today: Kpis = Field(description="Today's KPIs (UTC day), as GET /api/metrics/summary gives them.")
    service_level_seconds: float


class Resumed(Message):
    """Sent after the missed events of a `resume` (or the history of a `watch`) were replayed."""

    type: Literal["resumed"] = "resumed"
    call_id: str
    replayed: int
    last_seq: int


class LoggedEvent(Message):
    """An entry of the call event log, as it goes on the wire."""

    call_id: str
    seq: int
    at: datetime = Field(description="Wall-clock time the event was logged (UTC).")
    offset_ms: int = Field(description="Milliseconds from the start of the call (when it was queued).")


class CallQueued(LoggedEvent):
    type: Literal["call_queued"] = "call_queued"
    customer_name: str
    channel: str


class CallOffered(LoggedEvent):
    type: Literal["call_offered"] = "call_offered"
    agent_id: int
    agent_name: str


class OfferDeclined(LoggedEvent):
    type: Literal["offer_declined"] = "offer_declined"
    agent_id: int
    reason: Literal["declined", "expired", "disconnected"]


class CallStarted(LoggedEvent):
    type: Literal["call_started"] = "call_started"
    agent_id: int
    agent_name: str


class Chat(LoggedEvent):
    type: Literal["chat"] = "chat"
    speaker: Speaker
    author: str
    text: str
    client_id: str | None = Field(default=None, description="The sender's `client_id` of the `chat` it sent.")


class PartyDisconnected(LoggedEvent):
    type: Literal["party_disconnected"] = "party_disconnected"
    speaker: Speaker
    grace_seconds: float


class PartyReconnected(LoggedEvent):
    type: Literal["party_reconnected"] = "party_reconnected"
    speaker: Speaker


class Transcript(LoggedEvent):
    """What a party said. Partials (`final: false`) stream while they speak and are not logged
    (`seq` is null); `stable_text` is a prefix that later partials and the final never change.
    The final (`final: true`) is logged and carries the utterance's start and end offsets."""

    type: Literal["transcript"] = "transcript"
    seq: int | None = None  # type: ignore[assignment]
    speaker: Speaker
    utterance_id: str = Field(description="Same for every partial and the final of one utterance.")
    final: bool
    text: str
    stable_text: str = ""
    start_ms: int = Field(description="Offset of the start of speech from the start of the call.")
    end_ms: int = Field(description="Offset of the end of speech (of the audio heard so far, for partials).")


class CustomerContextEvent(LoggedEvent):
    """To staff: who the caller is. `ambiguous` lists candidates for the agent to pick from."""

    type: Literal["customer_context"] = "customer_context"
    status: Literal["matched", "ambiguous", "unknown"]
    reason: Literal["caller_id", "attached", "updated"] = "caller_id"
    customer: CustomerContext | None = None
    candidates: list[CustomerMatch] = Field(default_factory=list)


class SentimentEvent(LoggedEvent):
    """To staff: the mood of one customer utterance or chat message, and the call's trend."""

    type: Literal["sentiment"] = "sentiment"
    utterance_seq: int = Field(description="`seq` of the transcript or chat event it scores.")
    score: float = Field(ge=-1, le=1)
    label: Literal["negative", "neutral", "positive"]
    confidence: float = Field(ge=0, le=1)
    trend: float = Field(ge=-1, le=1)
    trend_delta: float


class SentimentAlert(LoggedEvent):
    """To staff: a very negative utterance, or a sharp fall of the trend."""

    type: Literal["sentiment_alert"] = "sentiment_alert"
    utterance_seq: int
    score: float
    trend: float
    reason: str


class SuggestionEvent(LoggedEvent):
    """To the agent and supervisors, never the customer: what to do next, and why."""

    type: Literal["suggestion"] = "suggestion"
    suggestion_id: str
    answers_seq: int = Field(description="`seq` of the utterance or chat message it answers.")
    utterance: str
    suggestion: str
    reasoning: str
    action: Action
    confidence: float = Field(ge=0, le=1)
    sources: list[SourceRef] = Field(default_factory=list)
    provider: str


class SuggestionFeedbackEvent(LoggedEvent):
    type: Literal["suggestion_feedback"] = "suggestion_feedback"
    suggestion_id: str
    accepted: bool
    agent_id: int


class CallHeld(LoggedEvent):
    """The agent put the call on hold: their audio is not transcribed or recorded until it is resumed."""

    type: Literal["call_held"] = "call_held"


class CallResumed(LoggedEvent):
    type: Literal["call_resumed"] = "call_resumed"
    held_ms: int = Field(description="How long the hold lasted.")


class CallTransferred(LoggedEvent):
    """The agent handed the call on: to another agent (offered to them now) or back to the queue."""

    type: Literal["call_transferred"] = "call_transferred"
    from_agent_id: int
    from_agent_name: str
    to: Literal["agent", "queue"]
    to_agent_id: int | None = None
    to_agent_name: str | None = None
    reason: str | None = None


class CallEnded(LoggedEvent):
    type: Literal["call_ended"] = "call_ended"
    reason: Literal["hangup", "dropped", "abandoned", "shutdown"]
    ended_by: Literal["customer", "agent", "system"]


class CallWrappedUp(LoggedEvent):
    type: Literal["call_wrapped_up"] = "call_wrapped_up"
    disposition: Disposition
    notes: str


class CallSummaryEvent(LoggedEvent):
    """To staff: what the call was about, what was done and how it ended; logged when it ends.

    `notes` says it all in a few sentences and pre-fills the agent's wrap-up notes."""

    type: Literal["call_summary"] = "call_summary"
    reason: str = Field(description="Why the customer called.")
    actions: list[str] = Field(description="What the agent did: actions taken, suggestions used.")
    outcome: str
    follow_ups: list[str]
    sentiment_start: float | None = Field(description="The customer's sentiment trend at the first scored line.")
    sentiment_end: float | None = Field(description="The trend at the last scored line.")
    notes: str
    provider: str = Field(description="`offline` (built from the log) or `llm`.")


class RecordingFailed(LoggedEvent):
    """To staff: the call's audio could not be written; the call goes on, unrecorded from here."""

    type: Literal["recording_failed"] = "recording_failed"
    reason: str


CallEventMessage = Annotated[
    CallQueued
    | CallOffered
    | OfferDeclined
    | CallStarted
    | Chat
    | PartyDisconnected
    | PartyReconnected
    | CallHeld
    | CallResumed
    | CallTransferred
    | Transcript
    | CustomerContextEvent
    | SentimentEvent
    | SentimentAlert
    | SuggestionEvent
    | SuggestionFeedbackEvent
    | CallEnded
    | CallWrappedUp
    | CallSummaryEvent
    | RecordingFailed,
    Field(discriminator="type"),
]
call_event_adapter: TypeAdapter[Any] = TypeAdapter(CallEventMessage)

# Event types a customer may see; everything else in the log is for staff only.
CUSTOMER_VISIBLE_EVENTS = frozenset(
    {
        "call_queued",
        "call_started",
        "chat",
        "transcript",
        "party_disconnected",
        "party_reconnected",
        "call_held",
        "call_resumed",
        "call_transferred",
        "call_ended",
    }
)

ServerMessage = Annotated[
    Hello
    | Error
    | Pong
    | QueuePosition
    | AgentState
    | CallOffer
    | OfferRevoked
    | LiveCalls
    | Floor
    | MetricAlert
    | Resumed
    | CallQueued
    | CallOffered
    | OfferDeclined
    | CallStarted
    | Chat
    | PartyDisconnected
    | PartyReconnected
    | CallHeld
    | CallResumed
    | CallTransferred
    | Transcript
    | CustomerContextEvent
    | SentimentEvent
    | SentimentAlert
    | SuggestionEvent
    | SuggestionFeedbackEvent
    | CallEnded
    | CallWrappedUp
    | CallSummaryEvent
    | RecordingFailed,
    Field(discriminator="type"),
]
server_message_adapter: TypeAdapter[Any] = TypeAdapter(ServerMessage)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of both directions, as published in docs and used by the web app."""
    client = client_message_adapter.json_schema(ref_template="#/$defs/{model}")
    # What the server sends always carries every field, defaults included.
    server = server_message_adapter.json_schema(ref_template="#/$defs/{model}", mode="serialization")
    defs = {**client.pop("$defs", {}), **server.pop("$defs", {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Earshot WebSocket protocol",
        "$defs": {**defs, "ClientMessage": client, "ServerMessage": server},
    }
