"""The README documents every setting and the two commands that matter."""

from __future__ import annotations

from pathlib import Path

from earshot.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    missing = [f"EARSHOT_{name.upper()}" for name in Settings.model_fields if f"`EARSHOT_{name.upper()}`" not in text]
    assert not missing, f"document these settings in README.md: {missing}"


def test_readme_gives_the_run_and_test_commands_near_the_top() -> None:
    head = README.read_text()[:1500]
    assert "make run" in head and "make test" in head
