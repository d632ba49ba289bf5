"""The `earshot` command: create users, migrate, print the schema, serve with demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.harness import free_port

EARSHOT = [sys.executable, "-m", "earshot"]


def _run(args: list[str], data_dir: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir)}
    return subprocess.run([*EARSHOT, *args], env=env, capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]


def _start_server(data_dir: Path, *args: str, **settings: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start `earshot serve` and wait until it answers; returns the process and its base URL."""
    port = free_port()
    env = {**os.environ, "EARSHOT_DATA_DIR": str(data_dir), "EARSHOT_LOG_LEVEL": "WARNING", **settings}
    process = subprocess.Popen([*EARSHOT, "serve", "--port", str(port), *args], env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base_url}/api/health", timeout=2)
            return process, base_url
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("server did not start") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=20)


def test_users_create_makes_an_account_that_can_log_in(tmp_path: Path) -> None:
    result = _run(["users", "create", "dana", "--role", "supervisor", "--display-name", "Dana S", "--password", "s3cret-pass"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "created supervisor dana" in result.stdout
    again = _run(["users", "create", "dana", "--role", "agent", "--password", "another-pass"], tmp_path)
    assert again.returncode == 1 and "already taken" in again.stderr


def test_users_create_rejects_a_short_password(tmp_path: Path) -> None:
    result = _run(["users", "create", "eve", "--role", "agent", "--password", "short"], tmp_path)
    assert result.returncode == 1 and "8" in result.stderr


def test_schema_prints_both_directions(tmp_path: Path) -> None:
    result = _run(["schema"], tmp_path)
    schema = json.loads(result.stdout)
    assert {"ClientMessage", "ServerMessage"} <= set(schema["$defs"])


def test_serve_demo_seeds_once_and_answers_health(tmp_path: Path) -> None:
    history: list[int] = []
    for _attempt in range(2):  # the second start must not fail or duplicate anything
        # A few days of history are enough here (tests/test_demo_history.py looks at it closely).
        process, base_url = _start_server(tmp_path, "--demo", EARSHOT_DEMO_HISTORY_DAYS="3")
        try:
            assert httpx.get(f"{base_url}/api/health").json()["database"] == "ok"
            login = httpx.post(f"{base_url}/api/auth/login", json={"username": "admin", "password": "admin-demo-pass"})
            assert login.status_code == 200
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            users = httpx.get(f"{base_url}/api/users", headers=headers).json()
            assert sorted(u["username"] for u in users) == ["admin", "agent1", "agent2", "agent3", "supervisor"]
            days = {"from": str(date.today() - timedelta(days=3)), "to": str(date.today())}
            kpis = httpx.get(f"{base_url}/api/metrics/summary", headers=headers, params=days).json()
            history.append(kpis["calls_handled"] + kpis["calls_abandoned"])
        finally:
            _stop(process)
    assert history[0] > 0 and history[1] == history[0]


def test_serve_without_demo_creates_no_known_accounts(tmp_path: Path) -> None:
    process, base_url = _start_server(tmp_path)
    try:
        login = httpx.post(f"{base_url}/api/auth/login", json={"username": "admin", "password": "admin-demo-pass"})
        assert login.status_code == 401
    finally:
        _stop(process)
