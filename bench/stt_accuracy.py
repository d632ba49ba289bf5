"""Whole-file transcription accuracy: Earshot (`earshot transcribe`) beside plain faster-whisper.

For each clip set (real voices in `../shared/speech-real`, the scripted espeak calls in
`../shared/calls/audio`, and `tests/data/speech-real-extra` when present), at 16 kHz and on
8 kHz mu-law telephone copies, prints the word error rate of Earshot's whole-file path and of
plain faster-whisper `tiny.en` over the whole clip (30 s context, greedy, temperature 0, no VAD,
no conditioning on previous text: the baseline), the clips whose transcript repeats a sentence
or ends by restarting one, the decodes that needed the 30 s retry, and decode time p50/p95.
Real clips get their telephone copies from sox (`gain -3 sinc 300-3400 rate 8000`, mu-law).

    .venv/bin/python bench/stt_accuracy.py                       # chosen settings
    .venv/bin/python bench/stt_accuracy.py --policies all        # every context option measured
    .venv/bin/python bench/stt_accuracy.py --sets speech-real --verbose
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from earshot.audio.decode import load_audio_file
from earshot.transcription.faster_whisper import ContextPolicy, FasterWhisperEngine
from earshot.transcription.filters import repeats_itself
from earshot.transcription.offline import transcribe_audio
from earshot.transcription.wer import word_errors

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EARSHOT_SHARED_DIR", ROOT.parent / "shared"))
SOX_TELEPHONE = ["-c", "1", "-e", "u-law", "-b", "8"], ["gain", "-3", "sinc", "300-3400", "rate", "8000"]

# Context options measured for docs/performance.md; "chosen" is the engine's default.
POLICIES = {
    "chosen": ContextPolicy(),
    "pad1 (before)": ContextPolicy(padding_seconds=1, min_seconds=0, timestamps=False, retry_full_context=False),
    "pad2": ContextPolicy(padding_seconds=2, min_seconds=0, timestamps=False, retry_full_context=False),
    "pad5": ContextPolicy(padding_seconds=5, min_seconds=0, timestamps=False, retry_full_context=False),
    "pad1+retry": ContextPolicy(padding_seconds=1, min_seconds=0, timestamps=False),
    "min10": ContextPolicy(min_seconds=10, timestamps=False, retry_full_context=False),
    "ts pad1": ContextPolicy(min_seconds=0, retry_full_context=False),
    "ts min10, no retry": ContextPolicy(retry_full_context=False),
    "full 30 s": ContextPolicy(min_seconds=30, timestamps=False, retry_full_context=False),
}


@dataclass(frozen=True)
class Clip:
    id: str
    path: Path
    text: str


@dataclass
class Score:
    errors: int = 0
    words: int = 0
    repeats: int = 0
    retries: int = 0
    times: list[float] | None = None

    def row(self, name: str) -> str:
        times = np.array(self.times or [0.0]) * 1000
        return (
            f"  {name:<22} WER {self.errors / max(1, self.words):.3f}  repeats {self.repeats:>2}  "
            f"30 s retries {self.retries:>2}  decode p50 {np.percentile(times, 50):>5.0f} p95 {np.percentile(times, 95):>5.0f} ms"
        )


def speech_real(directory: Path) -> list[Clip]:
    with (directory / "manifest.tsv").open(newline="") as handle:
        return [Clip(r["id"], directory / r["file"], r["text"]) for r in csv.DictReader(handle, delimiter="\t")]


def call_turns(column: str) -> list[Clip]:
    audio = SHARED / "calls" / "audio"
    with (audio / "manifest.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Clip(f"{r['call']}-{r['turn']}", audio / r[column], r["text"]) for r in rows]


def telephone_copies(clips: list[Clip], into: Path) -> list[Clip]:
    """8 kHz mu-law copies made with sox, as the issue's telephone line."""
    copies = []
    for clip in clips:
        out = into / f"{clip.id}.ulaw.wav"
        subprocess.run(["sox", "-R", str(clip.path), *SOX_TELEPHONE[0], str(out), *SOX_TELEPHONE[1]], check=True)
        copies.append(Clip(clip.id, out, clip.text))
    return copies


def baseline_transcriber(engine: FasterWhisperEngine) -> Callable[[np.ndarray], str]:
    """Plain faster-whisper over the whole clip: what `tiny.en` does without Earshot."""

    def transcribe(audio: np.ndarray) -> str:
        segments, _ = engine._model.transcribe(  # the same loaded model, none of Earshot's decoding
            audio, language="en", beam_size=1, temperature=0.0, vad_filter=False, condition_on_previous_text=False
        )
        return " ".join(s.text.strip() for s in segments)

    return transcribe


def score(clips: list[Clip], transcribe: Callable[[np.ndarray], str], verbose: bool) -> Score:
    result = Score(times=[])
    for clip in clips:
        audio = load_audio_file(clip.path)
        started = time.perf_counter()
        text = transcribe(audio)
        result.times.append(time.perf_counter() - started)  # type: ignore[union-attr]
        errors, words = word_errors(clip.text, text)
        result.errors, result.words = result.errors + errors, result.words + words
        result.repeats += repeats_itself(text)
        if verbose and errors:
            print(f"    {clip.id}: {errors}/{words}  ref: {clip.text}\n{'':>8}got: {text}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["speech-real", "speech-real-extra", "calls"])
    parser.add_argument("--policies", nargs="+", default=["chosen"], help=f"'all' or some of: {', '.join(POLICIES)}")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads per decode")
    parser.add_argument("--verbose", action="store_true", help="print the clips transcribed with errors")
    args = parser.parse_args()
    names = list(POLICIES) if args.policies == ["all"] else args.policies
    engines = {name: FasterWhisperEngine("tiny.en", cpu_threads=args.threads, context=POLICIES[name]) for name in names}
    baseline = baseline_transcriber(next(iter(engines.values())))
    have_sox = shutil.which("sox") is not None
    print(f"# whole-file accuracy, tiny.en int8, {args.threads} threads, machine with {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="earshot-accuracy-") as tmp:
        for set_name in args.sets:
            if set_name == "calls":
                variants = [("16 kHz", call_turns("wav16k")), ("8 kHz mu-law", call_turns("wav8k_ulaw"))]
            else:
                directory = SHARED / "speech-real" if set_name == "speech-real" else ROOT / "tests" / "data" / set_name
                if not (directory / "manifest.tsv").exists():
                    print(f"# {set_name}: not found at {directory}, skipped")
                    continue
                clips = speech_real(directory)
                variants = [("16 kHz", clips)]
                if have_sox:
                    variants.append(("8 kHz mu-law", telephone_copies(clips, Path(tempfile.mkdtemp(dir=tmp)))))
            for rate, clips in variants:
                print(f"{set_name}, {rate}, {len(clips)} clips")
                for name, engine in engines.items():
                    before = engine.full_context_retries
                    result = score(clips, lambda audio, e=engine: transcribe_audio(audio, e).text, args.verbose)
                    result.retries = engine.full_context_retries - before
                    print(result.row(f"Earshot {name}"), flush=True)
                if not args.no_baseline:
                    print(score(clips, baseline, args.verbose).row("plain tiny.en"), flush=True)
    if not have_sox:
        print("# sox not found: no telephone copies of the real clips", file=sys.stderr)


if __name__ == "__main__":
    main()
