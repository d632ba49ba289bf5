"""One party's socket through the balancer, reconnected with `last_seq` when its instance dies.

A client keeps the highest `seq` it applied per call and ignores the rest (docs/protocol.md,
*Reconnecting*); a chat line it sent stays pending until its own `chat` comes back (logged) or an
`error` names it (refused), and pending lines are sent again once the resume's replay is over.
What every socket received is noted in the `Tally`, for the check against the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

log = logging.getLogger(__name__)

# Close codes after which the party comes back: dropped (no close frame), the server going away
# or failing, or falling behind (1013). 1000 and the 44xx codes say not to.
RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013, 1014})
RECONNECT_WITHIN_S = 30.0  # EARSHOT_RECONNECT_GRACE_SECONDS: later, the call is over anyway
RETRY_EVERY_S = 0.25


@dataclass
class Sent:
    at: float
    call_id: str
    speaker: str  # "customer" or "agent"
    text: str


@dataclass
class Tally:
    """What the bench sent and what reached whom; filled by every party of a run."""

    sent: dict[str, Sent] = field(default_factory=dict)  # client_id -> the chat line
    arrived: dict[tuple[str, str], float] = field(default_factory=dict)  # (client_id, receiver) -> first arrival
    refused: set[str] = field(default_factory=set)  # client_ids an `error` named
    errors: Counter[str] = field(default_factory=Counter)  # "code (the message it answered)"
    closes: Counter[int] = field(default_factory=Counter)  # close codes of sockets the server dropped or ended
    call_refusals: Counter[int] = field(default_factory=Counter)  # POST /api/calls answers other than 201
    calls_made: int = 0
    wrapped_up: set[str] = field(default_factory=set)
    started: dict[str, float] = field(default_factory=dict)  # call_id -> its customer heard `call_started`
    watched: dict[str, float] = field(default_factory=dict)  # call_id -> a supervisor's watch was answered
    followed: dict[str, float] = field(default_factory=dict)  # call_id -> the agent's accept was answered (`resumed`)
    finals: int = 0  # final transcripts of streamed speech that reached the agent
    audio_s: float = 0.0  # seconds of speech streamed
    gaps: list[float] = field(default_factory=list)  # reconnect gaps: dropped until resumed
    failed_reconnects: int = 0
    # (call_id, receiver) of parties that left before the call's end reached them (a caller who
    # gave up on its hang-up): they are owed events only up to the last one they received
    left_early: set[tuple[str, str]] = field(default_factory=set)
    # (call_id, receiver) -> every seq as it arrived, repeats included
    received: defaultdict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))


Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Link:
    """A socket of one party (`label`: customer, agent or supervisor) that reconnects through the balancer."""

    def __init__(
        self,
        tally: Tally,
        label: str,
        url: Callable[[], str],
        handle: Handler,
        headers: dict[str, str] | None = None,
        subprotocols: list[str] | None = None,
    ) -> None:
        self.tally = tally
        self.label = label
        self._url = url
        self._handle = handle
        self._headers = headers or {}
        self._subprotocols = subprotocols
        self.highest: dict[str, int] = {}  # call_id -> the highest seq applied
        self.pending: dict[str, dict[str, Any]] = {}  # client_id -> chat not yet logged or refused
        # Pending lines to send again after a resume: those of the dropped socket and those the gap
        # kept from being sent. Not a line sent on the new socket before its `resumed`: the server
        # reads that one after the replay, and sending it again would log it twice.
        self._resend: dict[str, dict[str, Any]] = {}
        self.resumed_by = "resumed"  # the message that ends a reconnect gap (a party with no call: its first state)
        self._ws: ClientConnection | None = None
        self._open = asyncio.Event()
        self._dropped_at: float | None = None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.current: dict[str, str | None] = {}  # an agent's current call (`call_id`), for its owner
        self.generation = 0  # sockets opened so far: what a party did on an earlier one may not count

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def open(self) -> None:
        """Connect (the first time, failures raise) and start reading."""
        self._ws = await self._connect()
        self.generation += 1
        self._open.set()
        self._task = asyncio.create_task(self._run())

    async def _connect(self) -> ClientConnection:
        return await connect(
            self._url(),
            additional_headers=self._headers,
            subprotocols=self._subprotocols,  # type: ignore[arg-type]
            max_size=2**22,
            open_timeout=20,
        )

    async def send(self, message: dict[str, Any] | bytes) -> bool:
        """Send now if the socket is up; False if it is down (the party's resume logic covers it)."""
        ws = self._ws
        if ws is None or not self._open.is_set():
            return False
        try:
            await ws.send(message if isinstance(message, bytes) else json.dumps(message))
        except ConnectionClosed:
            return False
        return True

    async def chat(self, call_id: str, text: str, client_id: str) -> None:
        message = {"type": "chat", "call_id": call_id, "text": text, "client_id": client_id}
        self.pending[client_id] = message
        if not await self.send(message):
            self._resend[client_id] = message

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            assert self._ws is not None
            code = await self._read(self._ws)
            self._open.clear()
            if self._closing or code not in RECONNECT_CODES:
                if code is not None and code != 1000 and not self._closing:
                    self.tally.closes[code] += 1
                return
            self.tally.closes[code] += 1
            self._dropped_at = time.monotonic()
            self._resend.update(self.pending)
            ws = await self._reconnect()
            if ws is None:
                return
            if self._closing:  # closed while reconnecting: nobody would close this one
                await ws.close()
                return
            self._ws = ws
            self.generation += 1
            self._open.set()

    async def _reconnect(self) -> ClientConnection | None:
        deadline = time.monotonic() + RECONNECT_WITHIN_S
        while not self._closing and time.monotonic() < deadline:
            try:
                return await self._connect()
            except (OSError, InvalidHandshake, TimeoutError) as failed:
                log.debug("%s: reconnect failed (%s), trying again", self.label, failed)
                await asyncio.sleep(RETRY_EVERY_S)
        if not self._closing:
            self.tally.failed_reconnects += 1
        return None

    async def _read(self, ws: ClientConnection) -> int | None:
        """Read until the socket ends; its close code (1006 when it dropped without one)."""
        try:
            async for raw in ws:
                if isinstance(raw, str):
                    await self._receive(json.loads(raw))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else 1006
        return ws.close_code

    async def _receive(self, message: dict[str, Any]) -> None:
        kind, call_id, seq = message["type"], message.get("call_id"), message.get("seq")
        if seq is not None and call_id:
            self.tally.received[(call_id, self.label)].append(seq)
            if seq <= self.highest.get(call_id, 0):
                return  # a repeat around a reconnect: applied already
            self.highest[call_id] = seq
        if kind == "chat" and (client_id := message.get("client_id")):
            self.tally.arrived.setdefault((client_id, self.label), time.monotonic())
            self.pending.pop(client_id, None)
        elif kind == "error":
            self.tally.errors[f"{message['code']} ({message.get('ref_type') or self.label})"] += 1
            if ref_id := message.get("ref_id"):
                self.tally.refused.add(ref_id)
                self.pending.pop(ref_id, None)
        if kind == self.resumed_by and self._dropped_at is not None:
            self.tally.gaps.append(time.monotonic() - self._dropped_at)
            self._dropped_at = None
            resend, self._resend = self._resend, {}
            for client_id, message in resend.items():
                if client_id in self.pending:  # neither in the replay nor refused: never logged
                    await self.send(message)
        await self._handle(message)
