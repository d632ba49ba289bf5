"""A real, throwaway `redis-server` on a free port, which a test may kill and start again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness import free_port


class RedisServer:
    """One `redis-server` without persistence; `kill` and `start` keep the same port."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers_ping():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        """Die at once, as a crash would: no goodbye to the clients."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def pause(self) -> None:
        """Stop answering (SIGSTOP), as a hung server would; connections stay open."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def find_redis() -> str | None:
    """The `redis-server` on the PATH, or None."""
    return shutil.which("redis-server")


def redis_executable() -> str:
    """The `redis-server` to run; skips the test without one (fails it when CI is set)."""
    executable = find_redis()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but redis-server is not installed (run scripts/install-system-deps.sh)")
        pytest.skip("redis-server is not installed (scripts/install-system-deps.sh installs it)")
    return executable
