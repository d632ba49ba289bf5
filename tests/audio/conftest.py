"""Real call audio for the audio tests: the scripted calls in the shared folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from earshot.audio.decode import load_audio_file
from tests.harness import CALLS_AUDIO


@pytest.fixture(scope="session")
def calls_audio() -> Path:
    """The folder of per-turn WAVs (16 kHz PCM and 8 kHz mu-law copies) listed in manifest.tsv."""
    folder = CALLS_AUDIO
    if not (folder / "manifest.tsv").is_file():
        pytest.skip(f"shared call audio not found at {folder}; set EARSHOT_SHARED_DIR")
    return folder


@pytest.fixture(scope="session")
def turn(calls_audio: Path) -> Callable[[str, str], np.ndarray]:
    """`turn("d02-where-is-order", "03-customer")`: that turn's 16 kHz WAV as float32."""

    def load(call: str, name: str) -> np.ndarray:
        return load_audio_file(calls_audio / call / f"{name}.wav")

    return load

