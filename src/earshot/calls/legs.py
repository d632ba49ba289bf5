"""A party's microphone in a call: checks their audio frames and transcribes them into the call."""

from __future__ import annotations

import logging
import time

from earshot.audio.decode import AudioFormatError
from earshot.calls.hub import CallError, CallHub
from earshot.calls.limits import TokenBucket, audio_seconds
from earshot.calls.protocol import AudioStart, ErrorCode, Speaker
from earshot.recordings.service import Recordings
from earshot.transcription.service import TranscriptionService
from earshot.transcription.events import TranscriptUpdate
from earshot.transcription.streaming import LegTranscriber

log = logging.getLogger(__name__)

MAX_AUDIO_FRAME_BYTES = 32 * 1024  # 1 s of 16 kHz PCM16; real frames are 20-100 ms
RATES = {"pcm16": {16000}, "mulaw": {8000}, "webm": {8000, 16000, 48000}}
DROPPED_NOTICE_SECONDS = 5.0  # while audio keeps being dropped, the sender is told at most this often


class CallLeg:
    """Created per connection; follows the party's current call."""

    def __init__(
        self, hub: CallHub, transcription: TranscriptionService, speaker: Speaker, recordings: Recordings | None = None
    ) -> None:
        self.hub = hub
        self.transcription = transcription
        self.speaker = speaker
        self._tap = recordings.tap(speaker) if recordings is not None else None  # None: not recording
        self.call_id: str | None = None
        self._format = "pcm16"
        self._transcriber: LegTranscriber | None = None
        self._told_not_active = False
        # Audio is budgeted by its duration, apart from the connection's messages.
        self._budget = TokenBucket(hub.settings.audio_burst_seconds, hub.settings.audio_max_speed)
        self._quiet_until = 0.0
        # The call is on hold: audio is recorded but not transcribed (so the other party gets none of it).
        self.held = False

    async def start(self, message: AudioStart) -> None:
        if message.sample_rate not in RATES[message.format]:
            raise CallError(
                ErrorCode.invalid, f"{message.format} audio must be at {sorted(RATES[message.format])} Hz"
            )
        self._format = message.format
        if self._transcriber is not None:
            self._transcriber.start(message.format)
        if self._tap is not None:
            self._tap.start(message.format)

    async def frame(self, call_id: str | None, data: bytes) -> None:
        """One binary frame; raises CallError for a frame that cannot be audio, or to say audio is dropped."""
        if len(data) > MAX_AUDIO_FRAME_BYTES:
            raise CallError(ErrorCode.too_large, f"audio frame over {MAX_AUDIO_FRAME_BYTES} bytes")
        if self._format == "pcm16" and len(data) % 2:
            raise CallError(ErrorCode.invalid, "pcm16 frames must have an even number of bytes")
        if not self._budget.take(audio_seconds(self._format, len(data))):
            self._dropped("audio is arriving faster than real time; some of it was dropped")
            return
        if call_id is None or not self.hub.is_active(call_id):
            # Frames still in flight when the call this leg was transcribing ends are expected.
            trailing = self.call_id is not None and call_id in (None, self.call_id)
            if not trailing and not self._told_not_active:
                self._told_not_active = True
                raise CallError(ErrorCode.conflict, "audio is transcribed only while a call is in progress")
            return
        self._told_not_active = False
        transcriber = await self._transcriber_for(call_id)
        if self._tap is not None:
            self._tap.frame(call_id, data)  # recorded even when the transcriber must drop it (or on hold)
        if self.held:
            return  # on hold: nothing said reaches the call
        try:
            transcriber.feed(data)
        except AudioFormatError as exc:
            self._dropped(str(exc))

    def _dropped(self, reason: str) -> None:
        """The frame is lost; the sender is told why once, not once per frame."""
        now = time.monotonic()
        if now < self._quiet_until:
            return
        self._quiet_until = now + DROPPED_NOTICE_SECONDS
        log.info("%s audio dropped: %s", self.speaker.value, reason)
        raise CallError(ErrorCode.rate_limited, reason)

    def hold(self, held: bool) -> None:
        """Stop (finishing the words in progress) or restart transcribing for a hold and its resume."""
        if held == self.held:
            return
        self.held = held
        if self._transcriber is not None:
            if held:
                self._transcriber.stop()
            else:
                self._transcriber.start(self._format)

    async def stop(self) -> None:
        if self._transcriber is not None:
            self._transcriber.stop()
        if self._tap is not None:
            self._tap.stop()

    async def close(self) -> None:
        """Finish transcribing what was heard (its final is still delivered)."""
        transcriber, self._transcriber = self._transcriber, None
        if self._tap is not None:
            self._tap.detach()
        if transcriber is not None:
            await transcriber.close()

    async def _transcriber_for(self, call_id: str) -> LegTranscriber:
        if self._transcriber is not None and self.call_id == call_id:
            return self._transcriber
        await self.close()
        self.call_id = call_id
        hub, speaker = self.hub, self.speaker
        # A leg that joins a call on hold (after a reconnect) finds the hold in the log.
        self.held = await hub.on_hold(call_id)

        async def emit(update: TranscriptUpdate) -> None:
            await hub.publish_transcript(call_id, speaker, update)

        self._transcriber = await self.transcription.new_leg(
            f"{call_id[:8]}-{speaker.value}", emit, lambda: hub.call_offset_ms(call_id)
        )
        self._transcriber.start(self._format)
        return self._transcriber
