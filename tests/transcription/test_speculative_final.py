"""The final decoded during the end-of-speech silence, and beam-search finals that loop.

A leg starts its final's decode once the speaker has been quiet for the speech padding
(`vad_speech_pad_ms`), while the VAD waits out the rest of `vad_min_silence_ms`; the final
uses that decode only when its audio is exactly what was decoded. Real model, real VAD.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from earshot.audio.decode import SAMPLE_RATE, AudioFormatError, float_to_pcm16, load_audio_file
from earshot.audio.vad import SileroVadModel
from earshot.config import Settings
from earshot.transcription.events import TranscriptUpdate
from earshot.transcription.faster_whisper import FasterWhisperEngine
from earshot.transcription.engine import Transcription
from earshot.transcription.pool import DecodePool
from earshot.transcription.streaming import LegTranscriber
from tests.harness import SHARED

SPEECH_REAL = SHARED / "speech-real" / "audio"
FRAME = SAMPLE_RATE // 50  # 20 ms


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def real_voice(name: str) -> np.ndarray:
    """The clip from its first to its last 10 ms louder than -40 dBFS."""
    path = SPEECH_REAL / name
    if not path.exists():
        pytest.skip("no ../shared/speech-real")
    return trimmed(load_audio_file(path))


def trimmed(audio: np.ndarray) -> np.ndarray:
    """`audio` from its first to its last 10 ms louder than -40 dBFS."""
    window = SAMPLE_RATE // 100
    frames = audio[: len(audio) // window * window].reshape(-1, window)
    loud = np.flatnonzero(20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9) > -40)
    return audio[loud[0] * window : (loud[-1] + 1) * window]


class RecordingPool(DecodePool):
    """The real pool, noting how much audio each speculative final it was asked for holds."""

    def __init__(self, engine: FasterWhisperEngine) -> None:
        super().__init__(engine)
        self.speculative_seconds: list[float] = []
        self.partial_seconds: list[float] = []

    async def transcribe(
        self,
        leg: str,
        audio: np.ndarray,
        *,
        final: bool,
        prompt: str | None = None,
        speculative: bool = False,
        narrowband: bool = False,
    ) -> Transcription | None:
        if speculative:
            self.speculative_seconds.append(len(audio) / SAMPLE_RATE)
        if not final:
            self.partial_seconds.append(len(audio) / SAMPLE_RATE)
        return await super().transcribe(
            leg, audio, final=final, prompt=prompt, speculative=speculative, narrowband=narrowband
        )


async def live_finals(
    engine: FasterWhisperEngine, audio: np.ndarray, **settings: object
) -> tuple[list[str], RecordingPool]:
    """`audio` through one live leg in 20 ms frames, as fast as the leg takes them."""
    pool = RecordingPool(engine)
    pool.start()
    finals: list[str] = []

    async def emit(update: TranscriptUpdate) -> None:
        if update.final:
            finals.append(update.text)

    with ThreadPoolExecutor(2) as audio_executor:
        leg = LegTranscriber(
            leg="customer", pool=pool, vad_model=SileroVadModel(), audio_executor=audio_executor,
            settings=Settings(_env_file=None, **settings),  # type: ignore[call-arg]
            emit=emit, offset_ms=lambda: 0,
        )  # fmt: skip
        leg.start("pcm16")
        for start in range(0, len(audio), FRAME):
            while True:
                try:
                    leg.feed(float_to_pcm16(audio[start : start + FRAME]))
                    break
                except AudioFormatError:  # the leg's inbox is full: wait for it
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0)
        await leg.close()
    await pool.stop()
    return finals, pool


@pytest.fixture(scope="module")
def engine() -> FasterWhisperEngine:
    return FasterWhisperEngine()


def test_a_final_decoded_during_the_silence_is_the_final(engine: FasterWhisperEngine) -> None:
    audio = np.concatenate([silence(0.5), real_voice("ieee-01-01.flac"), silence(1.5)])
    speculative, pool = asyncio.run(live_finals(engine, audio))
    after_silence, plain = asyncio.run(live_finals(engine, audio, stt_speculative_final=False))
    assert speculative == after_silence and len(speculative) == 1
    assert (pool.stats.speculative_finals, pool.stats.finals) == (1, 0), "the final came from the decode in the silence"
    assert (plain.stats.speculative_finals, plain.stats.finals) == (0, 1)


def test_speech_that_resumes_in_the_silence_drops_the_early_decode(engine: FasterWhisperEngine) -> None:
    """A pause longer than the 200 ms padding and shorter than the 500 ms of silence that ends an
    utterance (the VAD hears the voice fade out, so 200 ms of digital silence between the two
    sentences is a 300-400 ms pause to it): the decode started in the pause must not be the final."""
    first, second = real_voice("ieee-01-01.flac"), real_voice("ieee-01-02.flac")
    audio = np.concatenate([silence(0.5), first, silence(0.2), second, silence(1.5)])
    finals, pool = asyncio.run(live_finals(engine, audio))
    assert len(pool.speculative_seconds) == 2 and pool.speculative_seconds[0] < len(first) / SAMPLE_RATE + 0.5
    assert finals == ["The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."]


def test_no_partial_starts_once_the_speaker_has_paused(engine: FasterWhisperEngine) -> None:
    """A partial of a pause shows nothing new and would hold the decoder the final needs. The
    final's audio ends 200 ms (the speech padding) after the last window heard as speech; with a
    partial asked for every 100 ms of audio, none may hold more than 120 ms of the pause (96 ms,
    with a VAD window still undecided and a frame of slack)."""
    audio = np.concatenate([silence(0.5), real_voice("ieee-01-05.flac"), silence(1.5)])
    pool = RecordingPool(engine)

    async def run() -> None:
        pool.start()
        with ThreadPoolExecutor(2) as audio_executor:
            leg = LegTranscriber(
                leg="customer", pool=pool, vad_model=SileroVadModel(), audio_executor=audio_executor,
                settings=Settings(_env_file=None, partial_interval_ms=100), emit=lambda update: asyncio.sleep(0),
                offset_ms=lambda: 0,
            )  # type: ignore[call-arg]  # fmt: skip
            leg.start("pcm16")
            for start in range(0, len(audio), FRAME):
                leg.feed(float_to_pcm16(audio[start : start + FRAME]))
                await asyncio.sleep(0.02)  # real time: partials keep up
            await leg.close()
        await pool.stop()

    asyncio.run(run())
    speech_end = pool.speculative_seconds[-1] - 0.2
    assert len(pool.partial_seconds) >= 3
    assert [s for s in pool.partial_seconds if s > speech_end + 0.12] == [], speech_end


@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None, reason="needs espeak-ng and sox")
def test_beam_search_finals_fall_back_to_greedy_where_the_beam_loops(tmp_path: Path) -> None:
    """Beam 5 wrote "888888..." to the token budget for this card number, at 10 s and at 30 s of
    context, and the loop filter left the utterance without a final."""
    raw, wav = tmp_path / "raw.wav", tmp_path / "said.wav"
    said = "the long number on the front is four oh one two, eight eight eight eight, eight eight eight eight, one eight eight one"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), said], check=True)
    subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(wav)], check=True)
    audio = np.concatenate([silence(0.5), load_audio_file(wav), silence(1.5)])
    beam = FasterWhisperEngine(final_beam_size=5)
    finals, _pool = asyncio.run(live_finals(beam, audio))
    assert len(finals) == 1 and "4012" in finals[0], finals
    assert beam.greedy_fallbacks >= 1


class EagerLeg:
    """One live leg fed in steps: audio as fast as the leg takes it, then a wait for the decode
    started in the silence, so what the leg does at a short pause does not depend on the machine's speed."""

    def __init__(self, engine: FasterWhisperEngine, audio_executor: ThreadPoolExecutor, **settings: object) -> None:
        self.pool = RecordingPool(engine)
        self.pool.start()
        self.finals: list[str] = []

        async def emit(update: TranscriptUpdate) -> None:
            if update.final:
                self.finals.append(update.text)

        self.leg = LegTranscriber(
            leg="customer", pool=self.pool, vad_model=SileroVadModel(), audio_executor=audio_executor,
            settings=Settings(_env_file=None, **settings),  # type: ignore[call-arg]
            emit=emit, offset_ms=lambda: 0,
        )  # fmt: skip
        self.leg.start("pcm16")

    async def say(self, audio: np.ndarray) -> None:
        for start in range(0, len(audio), FRAME):
            while True:
                try:
                    self.leg.feed(float_to_pcm16(audio[start : start + FRAME]))
                    break
                except AudioFormatError:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0)

    async def pause(self) -> None:
        """Wait until the decode started in this pause is done and the leg has acted on it."""
        heard = len(self.finals)
        for _ in range(1000):
            await asyncio.sleep(0.01)
            speculation = self.leg._speculation
            if len(self.finals) > heard or (speculation is not None and speculation.task.done() and self.leg._inbox.empty()):
                break
        await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self.leg.close()
        await self.pool.stop()


def test_a_finished_sentence_ends_the_turn_at_a_short_pause(engine: FasterWhisperEngine) -> None:
    async def run(eager: bool) -> tuple[list[str], list[str], DecodePool]:
        with ThreadPoolExecutor(2) as audio_executor:
            leg = EagerLeg(engine, audio_executor, stt_eager_end_of_turn=eager)
            await leg.say(np.concatenate([silence(0.5), real_voice("ieee-01-05.flac"), silence(0.3)]))
            await leg.pause()
            at_pause = list(leg.finals)
            await leg.say(silence(1.5))
            await leg.close()
            return at_pause, leg.finals, leg.pool

    at_pause, finals, pool = asyncio.run(run(eager=True))
    assert at_pause == finals == ["Rice is often served in round bowls."], "out after 300 ms of silence, and only once"
    assert (pool.stats.speculative_finals, pool.stats.finals) == (1, 0)
    at_pause, finals, _ = asyncio.run(run(eager=False))
    assert at_pause == [] and finals == ["Rice is often served in round bowls."], "without it the turn waits for 500 ms"


@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None, reason="needs espeak-ng and sox")
def test_a_pause_after_a_group_of_digits_does_not_end_the_turn(engine: FasterWhisperEngine, tmp_path: Path) -> None:
    """A card number read in groups must reach redaction as one final, not as short digit runs."""

    def spoken(text: str, name: str) -> np.ndarray:
        raw, wav = tmp_path / f"{name}.raw.wav", tmp_path / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(wav)], check=True)
        return trimmed(load_audio_file(wav))

    async def run() -> tuple[list[str], list[str]]:
        with ThreadPoolExecutor(2) as audio_executor:
            leg = EagerLeg(engine, audio_executor, stt_eager_end_of_turn=True)
            await leg.say(np.concatenate([silence(0.5), spoken("my card number is four oh one two", "first"), silence(0.3)]))
            await leg.pause()
            at_pause = list(leg.finals)
            await leg.say(np.concatenate([spoken("eight eight eight eight", "second"), silence(1.5)]))
            await leg.close()
            return at_pause, leg.finals

    at_pause, finals = asyncio.run(run())
    assert at_pause == [], "the turn waits for the full silence after a number"
    assert len(finals) == 1 and "4012888" in re.sub(r"\W", "", finals[0]), finals
