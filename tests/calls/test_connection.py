"""Connection: what reaches one client when the bus delivers a call's events out of order or with a hole.

Two instances publish one call's events; a later commit may be published before an earlier one,
and an instance may die between its commit and its publish. The client must still get every seq
once, in order: the hole is filled from the log.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from earshot.bus import MemoryBus
from earshot.calls.connection import Connection
from earshot.calls.protocol import Chat, LoggedEvent, Speaker
from earshot.calls.recorder import call_channel

CALL = "c" * 32
CHANNEL = call_channel(CALL)


class Client:
    """The far end of the socket: what the server wrote to it, in order."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send_text(self, text: str) -> None:
        self.texts.append(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        pass

    def seqs(self) -> list[int]:
        return [json.loads(text)["seq"] for text in self.texts]


def chat(seq: int) -> Chat:
    return Chat(call_id=CALL, seq=seq, at=datetime.now(UTC), offset_ms=seq, speaker=Speaker.customer,
                author="Pat", text=f"line {seq}")


class Log:
    """The call's event log as the database holds it; counts how often it is read."""

    def __init__(self, last: int) -> None:
        self.events = [chat(seq) for seq in range(1, last + 1)]
        self.reads = 0

    async def after(self, call_id: str, after_seq: int) -> list[LoggedEvent]:
        self.reads += 1
        return [event for event in self.events if event.call_id == call_id and event.seq > after_seq]


async def _following(bus: MemoryBus, log: Log, client: Client, history: bool = True) -> Connection:
    connection = Connection(client, bus)  # type: ignore[arg-type]
    connection.start()
    connection.rewind(CALL, 0)

    async def missed() -> list[LoggedEvent]:  # as calls/ws.py asks: after the last seq the client had
        return await log.after(CALL, connection.last_seq(CALL))

    if history:
        await connection.follow(CHANNEL, catch_up=missed)
    else:  # the history sent once by hand, and nothing to fill a gap with
        await connection.follow(CHANNEL)
        for event in await missed():
            await client.send_text(event.model_dump_json())
        connection.rewind(CALL, max(event.seq for event in log.events))
    return connection


async def _until(client: Client, count: int) -> None:
    for _ in range(200):
        if len(client.texts) >= count:
            return
        await asyncio.sleep(0.01)


async def _publish(bus: MemoryBus, *seqs: int) -> None:
    for seq in seqs:
        await bus.publish(CHANNEL, chat(seq).model_dump_json())


async def test_an_earlier_seq_published_after_a_later_one_still_reaches_the_client_once_in_order() -> None:
    bus, client = MemoryBus(), Client()
    await bus.connect()
    log = Log(last=2)
    connection = await _following(bus, log, client)
    log.events += [chat(3), chat(4)]  # committed by two instances; 4's publish overtakes 3's
    await _publish(bus, 4, 3)
    await _until(client, 4)
    await asyncio.sleep(0.05)
    assert client.seqs() == [1, 2, 3, 4]
    await connection.close()


async def test_a_seq_committed_by_an_instance_that_died_before_publishing_is_read_from_the_log() -> None:
    bus, client = MemoryBus(), Client()
    await bus.connect()
    log = Log(last=1)
    connection = await _following(bus, log, client)
    log.events += [chat(2), chat(3)]  # 2 was committed, then its instance was killed: never published
    await _publish(bus, 3)
    await _until(client, 3)
    assert client.seqs() == [1, 2, 3]
    await _publish(bus, 4)  # no hole: the log is not read again
    await _until(client, 4)
    assert client.seqs() == [1, 2, 3, 4] and log.reads == 2
    await connection.close()


async def test_without_the_log_a_hole_stays_a_hole() -> None:
    # How every client was served before the catch-up filled gaps: the overtaken seq 2 is dropped as a repeat.
    bus, client = MemoryBus(), Client()
    await bus.connect()
    log = Log(last=1)
    connection = await _following(bus, log, client, history=False)
    log.events += [chat(2), chat(3)]
    await _publish(bus, 3, 2)
    await asyncio.sleep(0.1)
    assert client.seqs() == [1, 3]
    await connection.close()
