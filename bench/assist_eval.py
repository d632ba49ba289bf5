"""Agent-assist benchmark: action and sentiment accuracy, suggestion latency, end-of-speech-to-screen latency.

Runs the customer turns of the scripted calls (`../shared/calls/audio/manifest.tsv` by default)
through the same engine as live calls, with each call's earlier turns as history and the
call's demo customer record attached, twice: on the reference text and on the transcripts
`earshot transcribe` makes of the turns' audio. Prints action accuracy against the `intent`
column, sentiment label accuracy against the `sentiment` column, and the provider's
suggestion latency p50/p95. `--calls FILE.json` adds calls in `calls.json` form (text only).
Then the outside-wording sets (`tests/assist/data/wording/`, public data the playbook was not
written from): per set, action accuracy with and without the dialogue so far, recall per
action, how often answers are right per confidence bucket, and sentiment accuracy with
recall per label.
`--live` also streams the calls' audio in real time into a real `earshot serve --demo` and
measures, per customer turn, the time from the end of speech to the suggestion's arrival
on the agent's WebSocket.

    .venv/bin/python bench/assist_eval.py
    .venv/bin/python bench/assist_eval.py --calls tests/assist/data/calls_test.json --live -v
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earshot.assist.factory import Assist, create_assist
from earshot.assist.types import SuggestionRequest, Turn
from earshot.config import Settings
from earshot.customers.demo import seed_demo_customers
from earshot.customers.lookup import customer_context
from earshot.customers.schemas import CustomerContext
from earshot.db import Database

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EARSHOT_SHARED_DIR", ROOT.parent / "shared"))
MANIFEST = SHARED / "calls" / "audio" / "manifest.tsv"
WORDING = ROOT / "tests" / "assist" / "data" / "wording"
BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


@dataclass
class ScriptTurn:
    speaker: str
    text: str
    intent: str = ""
    sentiment: str = ""
    audio: Path | None = None


@dataclass
class Script:
    id: str
    turns: list[ScriptTurn]


@dataclass
class Scores:
    turns: int = 0
    actions_right: int = 0
    sentiments_right: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def row(self, name: str) -> str:
        p50, p95 = np.percentile(self.latencies_ms, [50, 95]) if self.latencies_ms else (float("nan"),) * 2
        return (
            f"{name:<22} {self.turns:>5}  {self.actions_right / self.turns:>9.3f}  "
            f"{self.sentiments_right / self.turns:>13.3f}  {p50:>8.1f} / {p95:<6.1f}"
        )


def load_manifest(path: Path) -> list[Script]:
    scripts: dict[str, Script] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            script = scripts.setdefault(row["call"], Script(row["call"], []))
            audio = path.parent / row["wav16k"] if row.get("wav16k") else None
            script.turns.append(ScriptTurn(row["speaker"], row["text"], row["intent"], row["sentiment"], audio))
    return list(scripts.values())


def load_calls_json(path: Path) -> list[Script]:
    return [
        Script(call["id"], [ScriptTurn(t["speaker"], t["text"], t.get("intent", ""), t.get("sentiment", "")) for t in call["turns"]])
        for call in json.loads(path.read_text())
    ]


def transcribe(scripts: list[Script]) -> dict[Path, str]:
    """Every turn's audio through `earshot transcribe --json` (the configured STT engine)."""
    paths = [t.audio for s in scripts for t in s.turns if t.audio is not None]
    command = [sys.executable, "-m", "earshot", "transcribe", "--json", *map(str, paths)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {Path(record["file"]): record["text"] for record in map(json.loads, output.splitlines())}


async def demo_customers(count: int) -> list[CustomerContext | None]:
    """The demo's scenario customers (ids 1..), the ones behind the shared calls, in call order."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/customers.db")
        await db.migrate()
        async with db.sessions() as session:
            await seed_demo_customers(session)
            await session.commit()
            contexts = [await customer_context(session, i + 1) for i in range(count)]
        await db.close()
    return contexts


async def evaluate(
    assist: Assist, scripts: list[Script], customers: list[CustomerContext | None], heard: dict[Path, str] | None,
    repeat: int, verbose: bool,
) -> Scores:  # fmt: skip
    """Each customer turn with the turns before it as history, as the live pipeline sends them."""
    scores = Scores()
    for script, customer in zip(scripts, customers, strict=True):
        history: list[Turn] = []
        for turn in script.turns:
            text = heard.get(turn.audio, "") if heard is not None and turn.audio is not None else turn.text
            text = assist.redact(text)
            if turn.speaker == "customer" and turn.intent and text.strip():
                request = SuggestionRequest(utterance=text, history=list(history), customer=customer)
                for _ in range(repeat):
                    started = time.perf_counter()
                    suggestion = await assist.provider.suggest(request)
                    scores.latencies_ms.append((time.perf_counter() - started) * 1000)
                label = assist.sentiment.score(text).label
                scores.turns += 1
                scores.actions_right += suggestion.action == turn.intent
                scores.sentiments_right += label == turn.sentiment
                if suggestion.action != turn.intent:
                    scores.confusions[(turn.intent, suggestion.action.value)] += 1
                if verbose and (suggestion.action != turn.intent or label != turn.sentiment):
                    print(f"  want {turn.intent}/{turn.sentiment} got {suggestion.action.value}/{label} "
                          f"({suggestion.confidence:.2f}): {text}")  # fmt: skip
            if text.strip():
                history.append(Turn(speaker=turn.speaker, text=text))
    return scores


def _recall(pairs: list[tuple[str, str]]) -> str:
    """`label right/total` per wanted label, from (wanted, got) pairs."""
    totals = Counter(want for want, _ in pairs)
    right = Counter(want for want, got in pairs if want == got)
    return ", ".join(f"{label} {right[label] / n:.2f} ({n})" for label, n in sorted(totals.items()))


async def evaluate_wording(assist: Assist, verbose: bool) -> None:
    """The outside-wording sets: action sets (text, action, history?) and sentiment sets (text, sentiment)."""
    for path in sorted(WORDING.glob("actions_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for with_history in (False, True):
            if with_history and not any(r.get("history") for r in rows):
                continue
            pairs, confident, latencies = [], [], []
            for row in rows:
                history = [Turn.model_validate(t) for t in row.get("history", [])] if with_history else []
                request = SuggestionRequest(utterance=assist.redact(row["text"]), history=history)
                started = time.perf_counter()
                suggestion = await assist.provider.suggest(request)
                latencies.append((time.perf_counter() - started) * 1000)
                pairs.append((row["action"], suggestion.action.value))
                confident.append((suggestion.confidence, suggestion.action.value == row["action"]))
                if verbose and suggestion.action.value != row["action"]:
                    print(f"  want {row['action']} got {suggestion.action.value} ({suggestion.confidence:.2f}): {row['text']}")
            accuracy = sum(w == g for w, g in pairs) / len(pairs)
            p50, p95 = np.percentile(latencies, [50, 95])
            name = f"{path.stem}{' + history' if with_history else ''}"
            print(f"{name:<32} {len(pairs):>4}  action acc {accuracy:.3f}  suggest p50 {p50:.1f} / p95 {p95:.1f} ms")
            print(f"  recall: {_recall(pairs)}")
            buckets = []
            for low, high in BUCKETS:
                inside = [right for c, right in confident if low <= c < high]
                share = len(inside) / len(confident)
                buckets.append(f"[{low:.1f},{min(high, 1):.1f}) {share:.0%} of answers, {sum(inside) / max(len(inside), 1):.0%} right")
            print("  calibration: " + "; ".join(buckets))
    for path in sorted(WORDING.glob("sentiment_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        pairs = [(row["sentiment"], assist.sentiment.score(row["text"]).label) for row in rows]
        accuracy = sum(w == g for w, g in pairs) / len(pairs)
        print(f"{path.stem:<32} {len(pairs):>4}  sentiment acc {accuracy:.3f}  recall: {_recall(pairs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="scripted calls with audio (TSV)")
    parser.add_argument("--calls", type=Path, action="append", default=[], help="more calls in calls.json form (text only)")
    parser.add_argument("--repeat", type=int, default=1, help="suggestions per turn (repeats hit the sentence cache)")
    parser.add_argument("--no-transcripts", action="store_true", help="skip the transcript run")
    parser.add_argument("--no-wording", action="store_true", help="skip the outside-wording sets")
    parser.add_argument("--live", action="store_true", help="also measure end of speech -> suggestion on a real server")
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()

    settings = Settings()
    started = time.perf_counter()
    assist = create_assist(settings)
    load_s = time.perf_counter() - started
    scripts = load_manifest(args.manifest)
    customers = asyncio.run(demo_customers(len(scripts)))
    provider = f"{assist.provider.name} provider, embeddings {'on' if settings.assist_embeddings else 'off'}"
    turns = sum(t.speaker == "customer" and bool(t.intent) for s in scripts for t in s.turns)
    print(f"# assist benchmark: {provider}; {turns} customer turns in {len(scripts)} calls ({args.manifest.name})")
    print(f"# machine: {os.cpu_count()} CPUs; engine loaded in {load_s:.2f} s")
    print("run                    turns  action acc  sentiment acc  suggest p50 / p95 ms")
    runs: list[tuple[str, list[Script], list[CustomerContext | None], dict[Path, str] | None]] = [
        ("reference text", scripts, customers, None)
    ]
    if not args.no_transcripts:
        runs.append(("transcripts (tiny.en)", scripts, customers, transcribe(scripts)))
    for path in args.calls:
        extra = load_calls_json(path)
        runs.append((f"{path.stem} (text)", extra, [None] * len(extra), None))
    try:
        for name, run_scripts, run_customers, heard in runs:
            if args.verbose:
                print(f"## {name}")
            scores = asyncio.run(evaluate(assist, run_scripts, run_customers, heard, args.repeat, args.verbose))
            print(scores.row(name))
            if args.verbose and scores.confusions:
                print("  most confused (want -> got):", ", ".join(f"{a}->{b} x{n}" for (a, b), n in scores.confusions.most_common(8)))
        if not args.no_wording:
            asyncio.run(evaluate_wording(assist, args.verbose))
    finally:
        asyncio.run(assist.provider.aclose())
    if args.live:
        from live_latency import measure_live  # beside this script

        measure_live(args.port, args.verbose)


if __name__ == "__main__":
    main()
