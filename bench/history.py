"""History and replay speed: seed N ended calls (M events each) and time history pages and opening a replay.

Seeds a fresh database (SQLite file, or a new PostgreSQL database on --postgres) with calls spread
over 90 days across 50 agents, each with its event log, history row and searchable text, plus one
1-hour call of about 2,000 events. Then it times, through the code the routes run:

- history pages (`history_page`): newest first, text searches (common and rare words), filters
  combined with search, an agent's own calls, lowest sentiment first, a page deep in via cursor;
- opening a replay: the call's log read and turned into messages, to the first frame
  (`load_timeline`), the whole `GET /api/calls/{id}/events` body, and the first page of it
  (`?limit=200`) that the web replay shows its first frame from.
- `--recording`: instead, the cost of recording one leg (decode, place on the timeline, Ogg/Opus
  encode, as `recordings/tape.py` does in its worker thread) for PCM16 and mu-law, in CPU % of one core.

    python bench/history.py --calls 100000 --events 30
    python bench/history.py --recording --seconds 300
    python bench/history.py --calls 100000 --events 30 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import aclosing
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from earshot.auth.models import Role, User
from earshot.calls.models import Call
from earshot.db import Database
from earshot.sessions.history import HistoryFilters, history_page
from earshot.sessions.log import read_events, to_message
from earshot.sessions.replay import describe, load_timeline, stream_timeline

AGENTS = 50
FIRST_PAGE = 200  # the web replay's first page (REPLAY_FIRST_PAGE in web/src/state/history.ts)
DAYS = 90
END = datetime(2026, 11, 30, tzinfo=UTC)
PRODUCTS = ["headphones", "router", "laptop", "office chair", "phone case", "camera", "printer", "speaker",
            "monitor", "keyboard", "tablet", "smartwatch", "charger", "blender", "vacuum", "kettle"]
ISSUES = ["arrived damaged", "never arrived", "stopped working", "was charged twice", "is the wrong colour",
          "keeps disconnecting", "will not turn on", "is missing a part", "was delivered late", "makes a noise"]
OPENERS = ["Hi, my {p} {i}.", "I ordered a {p} and it {i}.", "The {p} from order {n} {i}, I want a refund.",
           "Can you help me? My {p} {i}.", "I need to cancel order {n}, the {p} {i}."]
REPLIES = ["I am sorry to hear that, let me check order {n}.", "I can offer a replacement {p}.",
           "Let me look at the tracking for your {p}.", "I have issued a refund for order {n}.",
           "Could you confirm the email on the account?", "I will escalate this to our returns team."]
CUSTOMER_MORE = ["Thank you.", "That is not good enough, I am really upset.", "When will it arrive?",
                 "Okay, that works for me.", "I have been waiting for weeks.", "Please hurry."]
DISPOSITIONS = ["resolved", "resolved", "resolved", "unresolved", "escalated", "follow_up"]
QUERIES: dict[str, dict[str, Any]] = {
    "newest page": {},
    "search 'refund'": {"q": "refund"},
    "search 'damaged headphones'": {"q": "damaged headphones"},
    "search an order number": {"q": "{order}"},
    "7 days + search 'upset'": {"since": END - timedelta(days=7), "q": "upset"},
    "agent + search 'router'": {"agent_id": 7, "q": "router"},
    "lowest sentiment <= -0.6 + alert": {"lowest_sentiment_max": -0.6, "had_alert": True},
    "phone + escalated + hangup": {"channel": "phone", "disposition": "escalated", "end_reason": "hangup"},
    "customer name": {"customer": "Nguyen"},
    "sort lowest sentiment": {"sort": "lowest_sentiment"},
    "page 20 (cursor)": {"pages": 20},
}
SURNAMES = ["Carter", "Nguyen", "Bennett", "Okafor", "Schmidt", "Rossi", "Tanaka", "Silva", "Kowalski", "Haddad"]


def _stamp(moment: datetime, sqlite: bool) -> Any:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


def _call_log(rng: random.Random, events: int, queued: datetime, agent_id: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(offset_ms, type, payload) of one answered call, valid protocol messages, about `events` long."""
    n = str(rng.randrange(10000, 99999))
    words = {"p": rng.choice(PRODUCTS), "i": rng.choice(ISSUES), "n": n}
    log: list[tuple[int, str, dict[str, Any]]] = [
        (0, "call_queued", {"customer_name": "x", "channel": "web"}),
        (9000, "call_started", {"agent_id": agent_id, "agent_name": f"Agent {agent_id}"}),
    ]
    at, trend = 10_000, 0.0
    while len(log) < events - 2:
        speaker = "customer" if len(log) % 3 != 2 else "agent"
        pool = (OPENERS if len(log) < 4 else CUSTOMER_MORE) if speaker == "customer" else REPLIES
        text = rng.choice(pool).format(**words)
        uid = uuid.UUID(int=rng.getrandbits(128)).hex
        payload = {"speaker": speaker, "utterance_id": uid, "final": True, "text": text, "stable_text": text,
                   "start_ms": at, "end_ms": at + 2500}
        at += 3000
        log.append((at, "transcript", payload))
        if speaker == "customer":
            score = round(rng.uniform(-1, 0.6), 3)
            trend = round(0.6 * trend + 0.4 * score, 3)
            log.append((at + 50, "sentiment", {"utterance_seq": len(log), "score": score, "label": "neutral",
                                               "confidence": 0.8, "trend": trend, "trend_delta": 0.0}))
            if score < -0.8:
                log.append((at + 60, "sentiment_alert", {"utterance_seq": len(log) - 1, "score": score,
                                                         "trend": trend, "reason": "very negative"}))
    log.append((at + 1000, "call_ended", {"reason": "hangup", "ended_by": rng.choice(["customer", "agent"])}))
    log.append((at + 30_000, "call_wrapped_up", {"disposition": rng.choice(DISPOSITIONS), "notes": ""}))
    return log


def _rows(count: int, events: int, sqlite: bool, seed: int = 7) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[Any, ...], str]]:
    """(calls row, call_events rows, call_history row, searchable text) per call."""
    rng = random.Random(seed)
    for index in range(count):
        call_id = f"{index:032x}"
        queued = END - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        agent_id = 1 + index % AGENTS
        log = _call_log(rng, events, queued, agent_id)
        ended = log[-2]
        disposition = log[-1][2]["disposition"]
        call = (call_id, "ended", rng.choice(["web", "web", "phone"]), f"Pat {rng.choice(SURNAMES)}", "x", agent_id,
                _stamp(queued, sqlite), _stamp(queued + timedelta(seconds=9), sqlite),
                _stamp(queued + timedelta(milliseconds=ended[0]), sqlite), "hangup", ended[2]["ended_by"], disposition,
                len(log))
        event_rows = [(call_id, seq, kind, json.dumps(payload), _stamp(queued + timedelta(milliseconds=ms), sqlite), ms)
                      for seq, (ms, kind, payload) in enumerate(log, 1)]
        scores = [p["score"] for _, kind, p in log if kind == "sentiment"]
        history = (index + 1, call_id, min(scores) if scores else None,
                   int(any(kind == "sentiment_alert" for _, kind, _ in log)), None)
        text = "\n".join(p["text"] for _, kind, p in log if kind == "transcript")
        yield call, event_rows, history, text


CALL_COLUMNS = ["id", "status", "channel", "customer_name", "customer_token_hash", "agent_id", "queued_at",
                "answered_at", "ended_at", "end_reason", "ended_by", "disposition", "last_seq"]
EVENT_COLUMNS = ["call_id", "seq", "type", "payload", "created_at", "offset_ms"]
HISTORY_COLUMNS = ["id", "call_id", "lowest_sentiment", "had_alert", "summary"]


def _batches(count: int, events: int, sqlite: bool, size: int = 2000) -> Iterator[tuple[list[Any], list[Any], list[Any], list[Any]]]:
    calls: list[Any] = []
    rows: list[Any] = []
    history: list[Any] = []
    texts: list[Any] = []
    for call, event_rows, mark, text in _rows(count, events, sqlite):
        calls.append(call)
        rows += event_rows
        history.append(mark)
        texts.append((mark[0], text) if sqlite else (call[0], text))
        if len(calls) == size:
            yield calls, rows, history, texts
            calls, rows, history, texts = [], [], [], []
    if calls:
        yield calls, rows, history, texts


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def seed_sqlite(path: Path, count: int, events: int, progress: Callable[[int], None]) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    done = 0
    for calls, rows, history, texts in _batches(count, events, sqlite=True):
        conn.executemany(_insert_sql("calls", CALL_COLUMNS), calls)
        conn.executemany(_insert_sql("call_events", EVENT_COLUMNS), rows)
        conn.executemany(_insert_sql("call_history", HISTORY_COLUMNS), history)
        conn.executemany("INSERT INTO call_search (rowid, text) VALUES (?, ?)", texts)
        conn.commit()
        done += len(calls)
        progress(done)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


async def seed_postgres(url: str, count: int, events: int, progress: Callable[[int], None]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        done = 0
        for calls, rows, history, texts in _batches(count, events, sqlite=False):
            await conn.copy_records_to_table("calls", records=calls, columns=CALL_COLUMNS)
            await conn.copy_records_to_table("call_events", records=rows, columns=EVENT_COLUMNS)
            await conn.copy_records_to_table("call_history", records=history, columns=HISTORY_COLUMNS)
            await conn.copy_records_to_table("call_search", records=texts, columns=["call_id", "text"])
            done += len(calls)
            progress(done)
        await conn.execute("SELECT setval('call_history_id_seq', (SELECT max(id) FROM call_history))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def add_agents_and_long_call(db: Database, events: int) -> str:
    """The 50 agents, and one 1-hour call of about `events` events; returns its id."""
    sqlite = db.is_sqlite
    async with db.sessions() as session:
        for agent_id in range(1, AGENTS + 1):
            session.add(User(id=agent_id, username=f"bench{agent_id}", display_name=f"Agent {agent_id}",
                             password_hash="x", role=Role.agent))
        await session.commit()
    rng = random.Random(99)
    queued = END - timedelta(hours=2)
    log = _call_log(rng, events, queued, 1)
    scale = 3_600_000 / log[-2][0]  # stretch it over an hour
    log = [(int(ms * scale), kind, payload) for ms, kind, payload in log]
    call_id = "f" * 32
    async with db.sessions() as session:
        stamp = lambda ms: queued + timedelta(milliseconds=ms)  # noqa: E731
        await session.execute(text(
            "INSERT INTO calls (id, status, channel, customer_name, customer_token_hash, agent_id, queued_at, last_seq)"
            " VALUES (:id, 'ended', 'phone', 'Long Caller', 'x', 1, :queued, :last)"),
            {"id": call_id, "queued": _stamp(queued, sqlite), "last": len(log)})
        await session.execute(text(
            "INSERT INTO call_events (call_id, seq, type, payload, created_at, offset_ms)"
            " VALUES (:call_id, :seq, :type, :payload, :at, :ms)"),
            [{"call_id": call_id, "seq": seq, "type": kind, "payload": json.dumps(payload),
              "at": _stamp(stamp(ms), sqlite), "ms": ms} for seq, (ms, kind, payload) in enumerate(log, 1)])
        await session.commit()
    return call_id


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> list[float]:
    await work()  # warm the caches, as a server that has been up a while has them
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]


async def measure(db: Database, long_call: str, runs: int) -> dict[str, list[float]]:
    supervisor = User(id=10_000, username="sup", display_name="Sup", password_hash="x", role=Role.supervisor)
    results: dict[str, list[float]] = {}
    async with db.sessions() as session:
        said = (await session.execute(text(
            "SELECT payload FROM call_events WHERE call_id = :c AND type = 'transcript'"), {"c": f"{1234:032x}"})).scalars()
        texts = [p if isinstance(p, str) else json.dumps(p) for p in said]  # asyncpg decodes JSON itself
        order_number = next(m.group() for t in texts if (m := re.search(r"\b\d{5}\b", t)))
    for name, spec in QUERIES.items():
        spec = dict(spec)
        pages = spec.pop("pages", 1)
        if spec.get("q") == "{order}":
            spec["q"] = order_number

        cursor = None
        async with db.sessions() as session:
            for _ in range(pages - 1):  # the cursor of page `pages`
                cursor = (await history_page(session, HistoryFilters(**spec, cursor=cursor), supervisor)).next_cursor

        async def page(spec: dict[str, Any] = spec, cursor: str | None = cursor) -> None:
            async with db.sessions() as session:
                await history_page(session, HistoryFilters(**spec, cursor=cursor), supervisor)

        results[f"history: {name}"] = await timed(runs, page)

    async def first_frame() -> None:
        async with aclosing(stream_timeline(db, long_call)) as timeline:
            async for event in timeline:
                describe(event)
                break

    async def whole_timeline() -> None:
        [describe(event) for event in await load_timeline(db, long_call)]

    async def events_body(limit: int | None = None) -> None:
        # As the route does it: the call (its role check), the rows (one more than a page, to know
        # whether another follows), the messages, the JSON body.
        async with db.sessions() as session:
            await session.get(Call, long_call)
            rows = await read_events(session, long_call, 0, None if limit is None else limit + 1)
            json.dumps([to_message(e).model_dump(mode="json") for e in rows[:limit]])

    async def first_page() -> None:
        await events_body(FIRST_PAGE)

    results["replay: first frame (2,000-event call)"] = await timed(runs, first_frame)
    results["replay: whole timeline (2,000-event call)"] = await timed(runs, whole_timeline)
    results["replay: whole events body (2,000-event call)"] = await timed(runs, events_body)
    results[f"replay: first {FIRST_PAGE}-event page of /events"] = await timed(runs, first_page)
    return results


async def main_async(args: argparse.Namespace) -> None:
    if args.postgres:
        # The one helper that makes a fresh database (bench/load.py uses it too).
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.cluster.harness import create_postgres_database

        url = await create_postgres_database(args.postgres)
    else:
        path = Path(args.sqlite or tempfile.mkdtemp(prefix="earshot-history-")) / "earshot.db"
        url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    start = time.perf_counter()
    if args.existing:  # measure again on a database an earlier run seeded
        await report(db, "f" * 32, args, 0.0)
        return
    await db.migrate()
    long_call = await add_agents_and_long_call(db, args.long_events)

    def progress(done: int) -> None:
        if done % 10_000 == 0 or done == args.calls:
            print(f"  seeded {done:,} calls in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    if db.is_sqlite:
        await db.close()
        await asyncio.to_thread(seed_sqlite, Path(url.split(":///", 1)[1]), args.calls, args.events, progress)
        db = Database(url)
    else:
        await seed_postgres(url, args.calls, args.events, progress)
    await report(db, long_call, args, time.perf_counter() - start)


async def report(db: Database, long_call: str, args: argparse.Namespace, seeded: float) -> None:
    results = await measure(db, long_call, args.runs)
    await db.close()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{backend}: {args.calls:,} calls x {args.events} events (+1 call of {args.long_events}), "
          f"seeded in {seeded:.0f} s; {args.runs} runs each\n")
    print(f"| {'measure':<48} | p50 ms | p95 ms |\n| {'-' * 48} | ------ | ------ |")
    history_times: list[float] = []
    for name, times in results.items():
        print(f"| {name:<48} | {statistics.median(times):6.1f} | {p95(times):6.1f} |")
        if name.startswith("history"):
            history_times += times
    print(f"| {'history: all of the above':<48} | {statistics.median(history_times):6.1f} | {p95(history_times):6.1f} |")


def recording_cost(seconds: float) -> None:
    """CPU time of recording `seconds` of one leg's real speech, sent as 20 ms frames, per audio second."""
    import tempfile

    import numpy as np

    from earshot.audio.decode import SAMPLE_RATE, float_to_pcm16, load_audio_file
    from earshot.recordings.tape import Tape

    speech_dir = Path(__file__).resolve().parents[1].parent / "shared" / "calls" / "audio" / "d01-refund-headphones"
    speech = np.concatenate([load_audio_file(path) for path in sorted(speech_dir.glob("*[0-9]-*t.wav"))])
    total = int(seconds * SAMPLE_RATE)
    speech = np.tile(speech, total // len(speech) + 1)[:total]
    with open(sorted(speech_dir.glob("*.ulaw.wav"))[0], "rb") as handle:
        ulaw_bytes = handle.read()[58:]  # a mu-law WAV's data after its header: 8 kHz G.711
    ulaw_bytes = (ulaw_bytes * (int(seconds * 8000) // len(ulaw_bytes) + 1))[: int(seconds * 8000)]
    legs = {
        "pcm16": [float_to_pcm16(speech[i : i + 320]) for i in range(0, total, 320)],
        "mulaw": [ulaw_bytes[i : i + 160] for i in range(0, len(ulaw_bytes), 160)],
    }
    print(f"| recording one leg ({seconds:.0f} s of speech) | CPU % of one core |\n| --- | --- |")
    for audio_format, frames in legs.items():
        with tempfile.TemporaryDirectory() as folder:
            tape = Tape(Path(folder) / "call.ogg", hold_back_ms=30_000)
            tape.start(0, audio_format)
            start = time.process_time()
            for index, frame in enumerate(frames):
                tape.frame(0, frame, index * 20)
                if index % 50 == 49:  # the worker wakes about once a second's worth of frames
                    tape.encode_until(index * 20)
            tape.finish()
            used = time.process_time() - start
        print(f"| {audio_format} | {100 * used / seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=30, help="events per call (30 makes about 3 million)")
    parser.add_argument("--long-events", type=int, default=2000, help="events of the 1-hour call replayed")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each measure")
    parser.add_argument("--sqlite", metavar="DIR", default=None, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--existing", action="store_true", help="measure again on the SQLite file in --sqlite DIR")
    parser.add_argument("--postgres", metavar="URL", default=None, help="PostgreSQL server: a fresh database is made there")
    parser.add_argument("--recording", action="store_true", help="measure the cost of recording a leg instead")
    parser.add_argument("--seconds", type=float, default=300.0, help="with --recording: seconds of audio per leg")
    args = parser.parse_args()
    if args.recording:
        recording_cost(args.seconds)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
