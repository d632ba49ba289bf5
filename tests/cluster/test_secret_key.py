"""Several instances need one secret key: `earshot serve` on a shared bus refuses to generate its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EARSHOT = str(Path(sys.executable).with_name("earshot"))  # the venv's `earshot` command


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EARSHOT_")}
    settings = {"EARSHOT_DATA_DIR": str(tmp_path / "data"), "EARSHOT_PORT": "1", **env}
    # cwd: a folder without a .env, so only the variables given here count.
    return subprocess.run(
        [EARSHOT, "serve"], env={**clean, **settings}, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_serve_on_a_shared_bus_without_a_secret_key_exits_naming_the_setting(tmp_path: Path) -> None:
    result = _serve(tmp_path, EARSHOT_BUS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 2, result.stderr
    assert "EARSHOT_SECRET_KEY must be set" in result.stderr
    assert "EARSHOT_BUS_URL" in result.stderr
    # Refused before anything was written: no per-instance key was generated.
    assert not (tmp_path / "data" / "secret.key").exists()


def test_an_empty_secret_key_counts_as_none(tmp_path: Path) -> None:
    result = _serve(tmp_path, EARSHOT_BUS_URL="rediss://cache.internal:6380/0", EARSHOT_SECRET_KEY="")
    assert result.returncode == 2 and "EARSHOT_SECRET_KEY" in result.stderr, result.stderr
