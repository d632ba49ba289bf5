"""`earshot call-sim` streams a file into a real call and prints what was heard."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.harness import CALLS_AUDIO, RunningServer

AUDIO = CALLS_AUDIO


async def _sim(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "earshot", "call-sim", *args, "--url", server.base_url]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)


async def test_call_sim_as_web_caller_prints_the_final_transcript(server: RunningServer) -> None:
    wav = AUDIO / "d02-where-is-order" / "03-customer.wav"
    result = await _sim(server, str(wav), "--agent", "agent1", "--password", "agent1-demo-pass")
    assert result.returncode == 0, result.stderr
    finals = [line for line in result.stdout.splitlines() if "customer:" in line]
    assert finals and "where it is" in finals[-1].lower()


async def test_call_sim_as_phone_caller_prints_the_final_transcript(server: RunningServer) -> None:
    wav = AUDIO / "d02-where-is-order" / "03-customer.ulaw.wav"
    result = await _sim(server, str(wav), "--telephony", "--agent", "agent2", "--password", "agent2-demo-pass")
    assert result.returncode == 0, result.stderr
    assert any("customer:" in line for line in result.stdout.splitlines())


async def test_call_sim_reports_unreadable_audio(server: RunningServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    result = await _sim(server, str(bad))
    assert result.returncode == 1 and "cannot read audio" in result.stderr
