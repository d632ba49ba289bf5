"""`earshot assist`: a suggestion from the command line, the same engine as live calls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from earshot.customers.demo import seed_demo_customers
from earshot.db import Database


def _assist(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "earshot", "assist", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


async def _seed_demo_customers(data_dir: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{data_dir}/earshot.db")
    await db.migrate()
    async with db.sessions() as session:
        await seed_demo_customers(session)
        await session.commit()
    await db.close()


def test_it_prints_the_action_suggestion_reasoning_and_sources(tmp_path: Path) -> None:
    result = _assist("I forgot my password and the reset email never arrives.", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("reset_password (confidence 0.")
    assert "reset link" in lines[1] and lines[2].startswith("Why: ")
    assert lines[3] == "Sources: Password and login [password-and-login]"


def test_json_output_with_a_history_file_and_a_customer(tmp_path: Path) -> None:
    asyncio.run(_seed_demo_customers(tmp_path))
    history = tmp_path / "call.json"
    history.write_text(json.dumps([
        {"speaker": "agent", "text": "Good morning, you are speaking with Anna."},
        {"speaker": "customer", "text": "My package was supposed to arrive on Monday and it still is not here."},
    ]))  # fmt: skip
    result = _assist("Can you tell me where it is right now?", "--history", str(history), "--customer", "2", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    suggestion = json.loads(result.stdout)
    assert suggestion["action"] == "track_order" and "20417" in suggestion["suggestion"]
    assert suggestion["provider"] == "playbook" and suggestion["sources"][0]["id"] == "shipping-and-tracking"


def test_a_history_of_plain_lines_works_too(tmp_path: Path) -> None:
    history = tmp_path / "call.txt"
    history.write_text("agent: Can you confirm your order number?\n\ncustomer: sure\n")
    result = _assist("It's order one two three four five", "--history", str(history), "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["action"] == "verify_identity"


def test_bad_input_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    empty = _assist("   ", data_dir=tmp_path)
    assert empty.returncode == 2 and "the utterance is empty" in empty.stderr
    history = tmp_path / "bad.txt"
    history.write_text("agent: hello\nrobot: beep\n")
    bad_history = _assist("hello", "--history", str(history), data_dir=tmp_path)
    assert bad_history.returncode == 2 and "bad.txt:2" in bad_history.stderr
    history.write_text(json.dumps([{"speaker": "robot"}]))
    bad_json = _assist("hello", "--history", str(history), data_dir=tmp_path)
    assert bad_json.returncode == 2 and "JSON list of {speaker, text}" in bad_json.stderr
    unknown = _assist("hello", "--customer", "424242", data_dir=tmp_path)
    assert unknown.returncode == 2 and "no customer 424242" in unknown.stderr


def test_batch_mode_answers_each_line_with_the_suggestion_and_its_sentiment(tmp_path: Path) -> None:
    asyncio.run(_seed_demo_customers(tmp_path))
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join([
        json.dumps({"text": "Can you help me find out where my parcel is?"}),
        json.dumps({"text": "Can you tell me where it is right now?", "customer_id": 2, "history": [
            {"speaker": "customer", "text": "My package was supposed to arrive on Monday and it still is not here."}]}),
        json.dumps({"text": "That's all, cheers.", "action": "close_call"}),  # extra fields are ignored
    ]) + "\n")  # fmt: skip
    result = _assist("--batch", str(batch), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["action"] for a in answers] == ["track_order", "track_order", "close_call"]
    assert "20417" in answers[1]["suggestion"] and answers[0]["utterance"].startswith("Can you help me")
    for answer in answers:
        assert answer["sentiment"]["label"] in {"negative", "neutral", "positive"}
        assert -1 <= answer["sentiment"]["score"] <= 1 and 0 <= answer["sentiment"]["confidence"] <= 1


def test_batch_mode_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join([
        "not json",
        json.dumps({"text": "   "}),
        json.dumps(["a list"]),
        json.dumps({"text": "hello", "customer_id": 424242}),
        json.dumps({"text": "I want to speak to your manager."}),
    ]) + "\n")  # fmt: skip
    result = _assist("--batch", str(batch), data_dir=tmp_path)
    assert result.returncode == 1 and "4 line(s)" in result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[0] == {"line": 1, "error": answers[0]["error"]} and "not JSON" in answers[0]["error"]
    assert answers[1] == {"line": 2, "error": "text: the utterance is empty"}
    assert answers[2]["line"] == 3 and "expected an object" in answers[2]["error"]
    assert answers[3]["line"] == 4 and "no customer 424242" in answers[3]["error"]
    assert answers[4]["action"] == "escalate" and "sentiment" in answers[4]


def test_batch_mode_takes_nothing_else(tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text(json.dumps({"text": "hello"}) + "\n")
    result = _assist("hello", "--batch", str(batch), data_dir=tmp_path)
    assert result.returncode == 2 and "--batch takes" in result.stderr
