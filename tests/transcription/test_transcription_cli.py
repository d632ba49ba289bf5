"""`earshot transcribe FILE...`: one line (or JSON object) per file, errors on stderr."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from earshot.transcription.wer import wer
from tests.harness import CALLS_AUDIO

AUDIO_DIR = CALLS_AUDIO


def _two_turns() -> list[tuple[Path, str]]:
    with (AUDIO_DIR / "manifest.tsv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["speaker"] == "customer"]
    return [(AUDIO_DIR / row["wav16k"], row["text"]) for row in rows[:2]]


def _transcribe(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EARSHOT_STT_ENGINE": "faster-whisper", "EARSHOT_STT_MODEL": "tiny.en"}
    command = [sys.executable, "-m", "earshot", "transcribe", *map(str, args)]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_each_file_prints_one_line_of_its_text(tmp_path: Path) -> None:
    (first, first_text), (second, second_text) = _two_turns()
    result = _transcribe(first, second, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert wer(first_text, lines[0]) <= 0.35 and wer(second_text, lines[1]) <= 0.35


def test_json_gives_text_segments_and_duration_per_file(tmp_path: Path) -> None:
    (first, first_text), (second, _) = _two_turns()
    result = _transcribe("--json", first, second, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(first), str(second)]
    record = records[0]
    assert wer(first_text, record["text"]) <= 0.35
    assert 7.0 < record["duration"] < 8.0
    assert record["segments"] and set(record["segments"][0]) == {"start", "end", "text"}
    assert " ".join(s["text"] for s in record["segments"]) == record["text"]
    assert 0.0 <= record["segments"][0]["start"] < record["segments"][-1]["end"] <= record["duration"]


def test_an_unreadable_file_fails_the_command_but_not_the_other_files(tmp_path: Path) -> None:
    (first, first_text), _ = _two_turns()
    missing = tmp_path / "missing.wav"
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not a WAV file")
    result = _transcribe(missing, first, not_audio, cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1
    assert wer(first_text, result.stdout) <= 0.35
    assert f"error: {missing}: cannot read audio" in result.stderr
    assert f"error: {not_audio}: cannot read audio" in result.stderr
