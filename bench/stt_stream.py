"""Streaming transcription benchmark: real server, real model, the shared calls' customer turns.

Streams each call's customer turns in real time (with pauses between turns) into a running
Earshot server, as web callers (16 kHz PCM16) or phone callers (8 kHz mu-law over the Twilio
protocol), and prints WER, first-partial latency from speech start, final latency from end of
speech (p50/p95), the server's real-time factor, and the same with N concurrent legs.
`--set speech-real` streams the real voices of `../shared/speech-real` instead (each clip one
turn, five clips a call; with `--telephony`, sox's 8 kHz mu-law telephone copies), and prints
plain faster-whisper `tiny.en` (whole clip, greedy, no VAD) on the same clips beside them.

    .venv/bin/python bench/stt_stream.py                  # 1 leg, then 8 concurrent legs
    .venv/bin/python bench/stt_stream.py --legs 1 4 8 --telephony
    .venv/bin/python bench/stt_stream.py --legs 16               # more legs than calls: calls reused, offset
    .venv/bin/python bench/stt_stream.py --set speech-real --legs 1 8 [--telephony]
    .venv/bin/python bench/stt_stream.py --in-process ...  # live legs without the server and sockets
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from earshot.audio.decode import SAMPLE_RATE, load_audio_file
from earshot.calls.simulate import (
    Heard,
    SimulatedCall,
    answer_calls,
    login,
    phone_frames,
    simulate_phone_call,
    simulate_web_call,
    web_frames,
)
from earshot.transcription.wer import word_errors

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EARSHOT_SHARED_DIR", ROOT.parent / "shared"))
MANIFEST = SHARED / "calls" / "audio" / "manifest.tsv"
SPEECH_REAL = SHARED / "speech-real" / "manifest.tsv"
CLIPS_PER_CALL = 5
_ORIGINALS: dict[Path, Path] = {}  # telephone copy -> the clip it was made from
LEAD_S, GAP_S, TAIL_S = 0.6, 1.6, 1.6
VERBOSE = "--verbose" in sys.argv


@dataclass
class Turn:
    text: str
    start: float  # speech start and end in seconds from the start of the streamed audio
    end: float


@dataclass
class ScriptedCall:
    name: str
    audio: np.ndarray
    turns: list[Turn]


def calls_for_legs(calls: list[ScriptedCall], legs: int) -> list[ScriptedCall]:
    """At least one call per leg: with more legs than calls, the calls again, each copy starting
    after a different lead-in of silence so that copies never speak in step."""
    copies = list(calls)
    round_ = 1
    while len(copies) < legs:
        lead = 0.37 * round_
        pad = np.zeros(int(lead * SAMPLE_RATE), np.float32)
        for call in calls:
            turns = [Turn(t.text, t.start + lead, t.end + lead) for t in call.turns]
            copies.append(ScriptedCall(f"{call.name}-{round_ + 1}", np.concatenate([pad, call.audio]), turns))
        round_ += 1
    return copies


@dataclass
class LegResult:
    wer_errors: int = 0
    wer_words: int = 0
    first_partial_ms: list[float] = field(default_factory=list)
    final_ms: list[float] = field(default_factory=list)
    audio_seconds: float = 0.0
    turns_split: int = 0  # turns heard as two or more finals (an end of turn called too early)


def speech_bounds(audio: np.ndarray, threshold_db: float = -40.0) -> tuple[float, float]:
    """First and last 10 ms window louder than the threshold, in seconds, above 150 Hz (some real
    recordings carry hum at -12 dBFS that would otherwise count as speech)."""
    spectrum = np.fft.rfft(audio)
    spectrum[np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE) < 150] = 0
    audio = np.fft.irfft(spectrum, n=len(audio))
    window = SAMPLE_RATE // 100
    frames = audio[: len(audio) // window * window].reshape(-1, window)
    level = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9)
    loud = np.flatnonzero(level > threshold_db)
    return float(loud[0]) / 100, float(loud[-1] + 1) / 100


def load_calls(telephony: bool) -> list[ScriptedCall]:
    column = "wav8k_ulaw" if telephony else "wav16k"
    by_call: dict[str, list[tuple[Path, str]]] = {}
    with MANIFEST.open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["speaker"] == "customer":
                by_call.setdefault(row["call"], []).append((MANIFEST.parent / row[column], row["text"]))
    return [scripted_call(name, turns) for name, turns in by_call.items()]


def speech_real_turns(telephony: bool, into: Path) -> list[tuple[Path, str]]:
    """(audio file, text) of every real clip; with `telephony`, its sox telephone copy, named
    after the clip so that `scripted_call` times its speech on the original (sox's band-pass
    rings at the start of a copy)."""
    with SPEECH_REAL.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    turns = []
    for row in rows:
        path = SPEECH_REAL.parent / row["file"]
        if telephony:
            copy = into / f"{row['id']}.ulaw.wav"
            _ORIGINALS[copy] = path
            subprocess.run(
                ["sox", "-R", str(path), "-c", "1", "-e", "u-law", "-b", "8", str(copy), "gain", "-3", "sinc", "300-3400", "rate", "8000"],
                check=True,
            )
            path = copy
        turns.append((path, row["text"]))
    return turns


def load_speech_real(turns: list[tuple[Path, str]]) -> list[ScriptedCall]:
    return [
        scripted_call(f"speech-real-{i // CLIPS_PER_CALL + 1}", turns[i : i + CLIPS_PER_CALL])
        for i in range(0, len(turns), CLIPS_PER_CALL)
    ]


def scripted_call(name: str, turns: list[tuple[Path, str]]) -> ScriptedCall:
    """The turns one after the other, with pauses, as one caller's audio."""
    pieces, scripted, cursor = [np.zeros(int(LEAD_S * SAMPLE_RATE), np.float32)], [], LEAD_S
    for path, text in turns:
        audio = load_audio_file(path)
        start, end = speech_bounds(load_audio_file(_ORIGINALS[path]) if path in _ORIGINALS else audio)
        scripted.append(Turn(text, cursor + start, cursor + end))
        pieces += [audio, np.zeros(int(GAP_S * SAMPLE_RATE), np.float32)]
        cursor += len(audio) / SAMPLE_RATE + GAP_S
    pieces.append(np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32))
    return ScriptedCall(name, np.concatenate(pieces), scripted)


def score(call: ScriptedCall, heard: SimulatedCall, queued_offset: float) -> LegResult:
    """Assign each final to the turn its audio overlaps most; measure latencies against the script."""
    result = LegResult(audio_seconds=len(call.audio) / SAMPLE_RATE)
    texts: dict[int, list[str]] = {i: [] for i in range(len(call.turns))}
    last_final_at: dict[int, float] = {}
    first_at: dict[int, float] = {}
    for item in heard.heard:
        message = item.message
        span = (message["start_ms"] / 1000 - queued_offset, message["end_ms"] / 1000 - queued_offset)
        overlaps = [min(span[1], t.end) - max(span[0], t.start) for t in call.turns]
        index = int(np.argmax(overlaps))
        if overlaps[index] <= 0:
            continue
        first_at.setdefault(index, item.at)
        if message["final"]:
            texts[index].append(message["text"])
            last_final_at[index] = item.at
    for index, turn in enumerate(call.turns):
        errors, words = word_errors(turn.text, " ".join(texts[index]))
        if VERBOSE and errors:
            print(f"  {errors}/{words} ref: {turn.text}\n        got: {' | '.join(texts[index])}")
        result.wer_errors += errors
        result.wer_words += words
        if index in first_at:
            result.first_partial_ms.append((first_at[index] - turn.start) * 1000)
            if VERBOSE:
                print(f"  first transcript {result.first_partial_ms[-1]:.0f} ms after speech start: {turn.text[:40]}")
        if index in last_final_at:
            result.final_ms.append((last_final_at[index] - turn.end) * 1000)
        result.turns_split += len(texts[index]) > 1
    return result


class Server:
    """A real `earshot serve --demo` in a temporary data directory."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.data_dir = tempfile.mkdtemp(prefix="earshot-bench-")
        # The bench is the phone gateway here, on this machine, without a stream token.
        env = {
            **os.environ,
            "EARSHOT_DATA_DIR": self.data_dir,
            "EARSHOT_LOG_LEVEL": "WARNING",
            "EARSHOT_DEMO_HISTORY_DAYS": "0",  # the demo accounts only: no made-up history to write first
            "EARSHOT_TELEPHONY_ALLOW_LOOPBACK": "true",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "earshot", "serve", "--demo", "--port", str(port)], env=env
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def add_agents(base_url: str, count: int) -> list[str]:
    admin = await login(base_url, "admin", "admin-demo-pass")
    tokens = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {admin}"}) as http:
        for i in range(count):
            username = f"bench-agent-{i}"
            await http.post(
                "/api/users",
                json={"username": username, "display_name": f"Bench Agent {i}", "password": "bench-pass-123", "role": "agent"},
            )
            tokens.append(await login(base_url, username, "bench-pass-123"))
    return tokens


async def wait_transcription_ready(base_url: str) -> None:
    token = await login(base_url, "supervisor", "supervisor-demo-pass")
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(600):
            if (await http.get("/api/transcription/status")).json().get("ready"):
                return
            await asyncio.sleep(0.2)
    raise RuntimeError("transcription never became ready")


async def run_leg(base_url: str, call: ScriptedCall, telephony: bool, agent_token: str) -> LegResult:
    if telephony:
        heard = await simulate_phone_call(base_url, call.audio, agent_token, name=call.name)
    else:
        heard = await simulate_web_call(base_url, call.audio, name=call.name)
    # Transcript offsets count from when the call was queued; the stream starts a little later.
    return score(call, heard, heard.stream_offset_ms / 1000)


async def run(base_url: str, calls: list[ScriptedCall], legs: int, telephony: bool, server: Server) -> dict[str, float]:
    tokens = await add_agents(base_url, legs)
    answering: list[asyncio.Task[None]] = []
    if not telephony:
        ready = [asyncio.Event() for _ in tokens]
        answering = [asyncio.create_task(answer_calls(base_url, t, r)) for t, r in zip(tokens, ready, strict=True)]
        await asyncio.gather(*(r.wait() for r in ready))
    cpu_before, wall_before = server.cpu_seconds(), time.monotonic()
    async def leg(index: int) -> list[LegResult]:
        # Every call is streamed once; with N legs, N of them at a time.
        return [await run_leg(base_url, call, telephony, tokens[index]) for call in calls[index::legs]]

    results = [r for rs in await asyncio.gather(*(leg(i) for i in range(legs))) for r in rs]
    cpu = server.cpu_seconds() - cpu_before
    for task in answering:
        task.cancel()
    return summarize(results, legs, cpu, wall_before)


# In-process variants of the live path, compared call by call (`--variants`): the machine's load
# changes over minutes, so each call is streamed through every variant in turn.
VARIANTS = {
    "now": {},
    "full-context partials": {"partials": "full"},
    "no speculative final": {"stt_speculative_final": False},
    "greedy finals": {"stt_final_beam_size": 1},
    "before (full-context partials, no speculation, greedy finals)": {
        "partials": "full",
        "stt_speculative_final": False,
        "stt_final_beam_size": 1,
    },
    "min silence 600 ms": {"vad_min_silence_ms": 600},
    "no eager end of turn": {"stt_eager_end_of_turn": False},
    "partials 3 s context": {"partials": 3.0},
    "empty-partial retry 80 ms": {"empty_retry_ms": 80},
    "partials 3 s context, retry 80 ms": {"partials": 3.0, "empty_retry_ms": 80},
    "empty-partial retry at once": {"empty_retry_ms": 0},
    "empty-partial retry 40 ms": {"empty_retry_ms": 40},
    "no partial after 96 ms of quiet": {"no_partial_after_quiet_ms": 96},
    "no partial after 64 ms of quiet": {"no_partial_after_quiet_ms": 64},
    "partials in pauses": {"no_partial_after_quiet_ms": None},
}


async def run_in_process(
    calls: list[ScriptedCall], legs: int, telephony: bool, variants: list[str] | None = None
) -> dict[str, dict[str, float]]:
    """The same measurement on call legs built in this process (VAD, decode pool, partials and
    finals as the server runs them), frames sent in real time, with no server or sockets; one
    row per variant of `VARIANTS` (default: the settings as they are)."""
    from concurrent.futures import ThreadPoolExecutor

    from earshot.audio.vad import SileroVadModel
    from earshot.config import Settings
    from earshot.transcription import create_engine
    from earshot.transcription.events import TranscriptUpdate
    from earshot.transcription.faster_whisper import ContextPolicy, FasterWhisperEngine
    from earshot.transcription.pool import DecodePool
    from earshot.transcription.streaming import LegTranscriber

    names = variants or ["now"]
    pools: dict[str, DecodePool] = {}
    settings_of: dict[str, Settings] = {}
    retry_of: dict[str, int] = {}
    quiet_of: dict[str, int | None] = {}
    for name in names:
        overrides = dict(VARIANTS[name])
        partials = overrides.pop("partials", None)
        retry_ms = overrides.pop("empty_retry_ms", None)
        if "no_partial_after_quiet_ms" in overrides:
            quiet_of[name] = overrides.pop("no_partial_after_quiet_ms")
        settings = Settings().model_copy(update=overrides)
        engine = create_engine(settings)
        if partials == "full" and isinstance(engine, FasterWhisperEngine):
            engine.partial_context = ContextPolicy()
        elif isinstance(partials, float) and isinstance(engine, FasterWhisperEngine):
            engine.partial_context = ContextPolicy(min_seconds=partials, retry_full_context=False)
        if retry_ms is not None:
            retry_of[name] = retry_ms
        pools[name] = DecodePool(engine, settings.stt_workers)
        pools[name].start()
        settings_of[name] = settings
    vad = SileroVadModel()
    audio_executor = ThreadPoolExecutor(2)
    cpu = dict.fromkeys(names, 0.0)
    results: dict[str, list[LegResult]] = {name: [] for name in names}
    wall_before = time.monotonic()

    async def one(call: ScriptedCall, name: str) -> LegResult:
        heard = SimulatedCall(call_id=call.name)

        async def emit(update: TranscriptUpdate) -> None:
            message = {"final": update.final, "text": update.text, "start_ms": update.start_ms, "end_ms": update.end_ms}
            heard.heard.append(Heard(time.monotonic() - heard.started, message))

        leg = LegTranscriber(
            leg=call.name, pool=pools[name], vad_model=vad, audio_executor=audio_executor,
            settings=settings_of[name], emit=emit, offset_ms=lambda: 0,
        )  # fmt: skip
        if name in retry_of:
            leg.empty_partial_retry_ms = retry_of[name]
        if name in quiet_of:
            leg.no_partial_after_quiet_ms = quiet_of[name]
        leg.start("mulaw" if telephony else "pcm16")
        frames = phone_frames(call.audio) if telephony else web_frames(call.audio)
        heard.started = time.monotonic()
        for index, frame in enumerate(frames):
            await asyncio.sleep(max(0.0, heard.started + index * 0.02 - time.monotonic()))
            leg.feed(frame)
        await leg.close()
        return score(call, heard, 0.0)

    for batch in range(0, len(calls), legs):  # with N legs, N calls at a time
        for name in names:
            cpu_before = time.process_time()
            batch_calls = calls[batch : batch + legs]
            done = await asyncio.gather(*(one(call, name) for call in batch_calls))
            results[name].extend(done)
            cpu[name] += time.process_time() - cpu_before
    for pool in pools.values():
        await pool.stop()
    audio_executor.shutdown()
    return {name: summarize(results[name], legs, cpu[name], wall_before) for name in names}


def summarize(results: list[LegResult], legs: int, cpu: float, wall_before: float) -> dict[str, float]:
    audio = sum(r.audio_seconds for r in results)
    first = [v for r in results for v in r.first_partial_ms]
    final = [v for r in results for v in r.final_ms]
    return {
        "legs": legs,
        "wer": sum(r.wer_errors for r in results) / max(1, sum(r.wer_words for r in results)),
        "first_partial_p50": float(np.percentile(first, 50)) if first else float("nan"),
        "first_partial_p95": float(np.percentile(first, 95)) if first else float("nan"),
        "final_p50": float(np.percentile(final, 50)) if final else float("nan"),
        "final_p95": float(np.percentile(final, 95)) if final else float("nan"),
        "turns": len(final),
        "split": sum(r.turns_split for r in results),
        "rtf": cpu / audio,
        "wall_s": time.monotonic() - wall_before,
    }


def whole_file_wer(turns: list[tuple[Path, str]]) -> float:
    """The same turns through `earshot transcribe` (whole-file decoding), for comparison."""
    output = subprocess.run(
        [sys.executable, "-m", "earshot", "transcribe", *(str(path) for path, _ in turns)],
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()  # fmt: skip
    errors = words = 0
    for (_, text), hypothesis in zip(turns, output, strict=True):
        e, w = word_errors(text, hypothesis)
        errors, words = errors + e, words + w
    return errors / words


def plain_whisper_wer(turns: list[tuple[Path, str]]) -> float:
    """Plain faster-whisper tiny.en on each whole clip: 30 s context, greedy, no VAD."""
    from faster_whisper import WhisperModel

    from earshot.transcription.faster_whisper import packaged_model_dir

    model = WhisperModel(str(packaged_model_dir()), device="cpu", compute_type="int8")
    errors = words = 0
    for path, text in turns:
        segments, _ = model.transcribe(
            load_audio_file(path), language="en", beam_size=1, temperature=0.0, vad_filter=False,
            condition_on_previous_text=False,
        )  # fmt: skip
        e, w = word_errors(text, " ".join(s.text for s in segments))
        errors, words = errors + e, words + w
    return errors / words


def customer_turns(telephony: bool) -> list[tuple[Path, str]]:
    column = "wav8k_ulaw" if telephony else "wav16k"
    with MANIFEST.open() as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["speaker"] == "customer"]
    return [(MANIFEST.parent / r[column], r["text"]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--legs", type=int, nargs="+", default=[1, 8], help="concurrent legs per run")
    parser.add_argument("--telephony", action="store_true", help="8 kHz mu-law over the Twilio protocol")
    parser.add_argument("--in-process", action="store_true", help="call legs in this process, no server")
    parser.add_argument("--set", choices=["calls", "speech-real"], default="calls", help="what the callers say")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--verbose", action="store_true", help="print the turns transcribed with errors")
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), help="in-process: compare these variants call by call"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the whole-file and plain tiny.en WER")
    args = parser.parse_args()

    copies = tempfile.mkdtemp(prefix="earshot-bench-clips-")
    if args.set == "speech-real":
        turns = speech_real_turns(args.telephony, Path(copies))
        calls = load_speech_real(turns)
    else:
        turns, calls = customer_turns(args.telephony), load_calls(args.telephony)
    kind = "phone (8 kHz mu-law, Twilio protocol)" if args.telephony else "web (16 kHz PCM16)"
    print(f"# streaming STT benchmark: {kind}, {sum(len(c.turns) for c in calls)} turns of {args.set} in {len(calls)} calls")
    print(f"# machine: {os.cpu_count()} CPUs, load average {load_average()}")
    if not args.no_baselines:
        print(f"# whole-file WER (earshot transcribe): {whole_file_wer(turns):.3f}")
        if args.set == "speech-real":
            print(f"# plain tiny.en, whole clip, greedy, no VAD: WER {plain_whisper_wer(turns):.3f}")
    print("legs  WER    first-partial p50/p95 ms   final p50/p95 ms   turns  split  server RTF")
    for legs in args.legs:
        if args.in_process:
            rows = asyncio.run(run_in_process(calls_for_legs(calls, legs), legs, args.telephony, args.variants))
            for name, row in rows.items():
                print_row(row, name if args.variants else "")
            print(f"# load average after: {load_average()}")
            continue
        server = Server(args.port)
        try:
            server.wait_ready()
            asyncio.run(wait_transcription_ready(server.base_url))
            row = asyncio.run(run(server.base_url, calls_for_legs(calls, legs), legs, args.telephony, server))
        finally:
            server.stop()
        print_row(row)


def print_row(row: dict[str, float], name: str = "") -> None:
    print(
        f"{row['legs']:>4}  {row['wer']:.3f}  {row['first_partial_p50']:>8.0f} / {row['first_partial_p95']:<8.0f}"
        f"        {row['final_p50']:>6.0f} / {row['final_p95']:<6.0f}   {row['turns']:>5}  {row['split']:>5}  {row['rtf']:.3f}  {name}",
        flush=True,
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
