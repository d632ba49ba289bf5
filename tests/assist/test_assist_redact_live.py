"""Card numbers spoken into a live call never reach anyone in clear: not in partials, finals or the event log."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from earshot.assist.spoken import digit_sequences
from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file
from earshot.db import Database
from earshot.sessions.models import CallEvent
from tests.conftest import BACKENDS
from tests.harness import RunningServer, WsClient

FRAME = SAMPLE_RATE // 50  # 20 ms
MASK = re.compile(r"\[[^\]]*\]")  # "[digits]", "[card ending 1111]": the agent may see a card's last four

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox speak the card numbers (scripts/install-system-deps.sh installs them)",
)


def spoken(tmp_path: Path, words: str) -> np.ndarray:
    """`words` said by espeak-ng, at 16 kHz, with silence around it."""
    raw, wav = tmp_path / "raw.wav", tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), words], check=True)
    subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(wav)], check=True)
    silence = np.zeros(SAMPLE_RATE // 2, np.float32)
    return np.concatenate([silence, load_audio_file(wav), silence, silence, silence])


def card_digits_in_clear(text: str, card: str) -> list[str]:
    """Runs of 6 or more digits, written or spoken, outside the masks, that share 4 in a row with the card
    (speech-to-text mishears some digits; an expiry heard as "2021-26" is not the card)."""
    runs = digit_sequences(MASK.sub(" ", text), shortest=6)
    return [run for run in runs if any(run[i : i + 4] in card for i in range(len(run) - 3))]


async def stream(client: WsClient, audio: np.ndarray, speed: float = 2.0) -> None:
    await client.send({"type": "audio_start", "format": "pcm16", "sample_rate": SAMPLE_RATE})
    for start in range(0, len(audio), FRAME):
        await client.conn.send(float_to_pcm16(audio[start : start + FRAME]))
        await asyncio.sleep(0.02 / speed)
    await client.send({"type": "audio_stop"})


async def transcripts(client: WsClient, finals: int, timeout: float = 60) -> list[dict[str, Any]]:
    """Every transcript message until `finals` finals have come, then any that follow within 3 s
    (voice activity detection may cut a number read slowly into two utterances)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while sum(m["final"] for m in seen) < finals:
        try:
            seen.append(await client.expect("transcript", timeout=max(0.1, deadline - time.monotonic())))
        except AssertionError:
            raise AssertionError(f"no final within {timeout}s; transcripts: {seen}") from None
    try:
        while True:
            seen.append(await client.expect("transcript", timeout=3.0))
    except AssertionError:
        return seen


async def ready(server: RunningServer) -> None:
    async with server.http(await server.login("supervisor")) as http:
        deadline = time.monotonic() + 60
        while not (await http.get("/api/transcription/status")).json().get("ready"):
            assert time.monotonic() < deadline, "transcription did not become ready"
            await asyncio.sleep(0.1)


async def logged_events(server: RunningServer, call_id: str) -> list[CallEvent]:
    db = Database(server.database_url)
    try:
        async with db.sessions() as session:
            return list((await session.scalars(select(CallEvent).where(CallEvent.call_id == call_id))).all())
    finally:
        await db.close()


SPOKEN_CARDS = [
    pytest.param(
        "my card number is four one one one, one one one one, one one one one, one one one one",
        "4111111111111111",
        id="groups",
    ),
    pytest.param(
        "my card number is four oh one two, eight eight eight eight, eight eight eight eight, one eight eight one, "
        "and it expires in december twenty twenty six",
        "4012888888881881",
        id="with-expiry",
    ),
    pytest.param(
        "my card is six oh one one, double oh double nine, double oh one three, nine four two four",
        "6011000990139424",
        id="double",
    ),
    pytest.param(
        "sure, my card number is three seven eight two, eight two two four six three, one oh oh oh five",
        "378282246310005",
        id="amex",
    ),
    pytest.param(  # no card word: partials must not wait for the final to recognise it
        "the long number on the front is four oh one two, eight eight eight eight, eight eight eight eight, "
        "one eight eight one",
        "4012888888881881",
        id="no-card-word",
    ),
]


# Every wording on SQLite; on PostgreSQL (the event log's other backend) one, since each case
# streams its sentence in real time and the redaction itself does not depend on the database.
@pytest.mark.parametrize(
    ("database_url", "said", "card"),
    [
        *(pytest.param("sqlite", *case.values, id=f"sqlite-{case.id}") for case in SPOKEN_CARDS),
        *(
            pytest.param(
                "postgresql",
                *case.values,
                id=f"postgresql-{case.id}",
            )
            for case in SPOKEN_CARDS[:1]
            if "postgresql" in BACKENDS
        ),
    ],
    indirect=["database_url"],
)
async def test_a_spoken_card_number_never_reaches_anyone_in_clear(
    server: RunningServer, tmp_path: Path, said: str, card: str
) -> None:
    audio = spoken(tmp_path, said)
    await ready(server)
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer("Emily Carter")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.send({"type": "watch", "call_id": call_id})
    await supervisor.expect("resumed")

    await stream(customer, audio)
    parties = {"agent": agent, "customer": customer, "supervisor": supervisor}
    heard = dict(zip(parties, await asyncio.gather(*(transcripts(c, finals=1) for c in parties.values())), strict=True))
    rows = await logged_events(server, call_id)

    shown = [(who, m["final"], m[key]) for who, got in heard.items() for m in got for key in ("text", "stable_text")]
    shown += [("log", True, str(row.payload)) for row in rows]
    leaks = [(who, final, text) for who, final, text in shown if card_digits_in_clear(text, card)]
    assert not leaks, leaks
    assert any(not m["final"] for m in heard["agent"]), "partials came while the customer spoke"
    for who, got in heard.items():
        stable: dict[str, str] = {}
        for m in (m for m in got if not m["final"]):
            assert m["text"].startswith(m["stable_text"]), (who, m)
            before = stable.get(m["utterance_id"], "")
            assert m["stable_text"].startswith(before), ("the stable prefix changed", who, before, m)
            stable[m["utterance_id"]] = m["stable_text"]
    assert any(MASK.search(text) for _, _, text in shown), f"the speech was heard as digits and masked: {shown}"
    finals = [m["text"] for m in heard["agent"] if m["final"]]
    assert [row.payload["text"] for row in rows if row.type == "transcript"] == finals, "the log holds what was shown"
