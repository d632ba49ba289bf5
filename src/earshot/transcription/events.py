"""What a leg transcriber emits: one partial or final transcript of one utterance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TranscriptUpdate:
    utterance_id: str
    final: bool
    text: str
    stable_text: str  # prefix that no later update of this utterance changes
    start_ms: int  # offsets from the start of the call
    end_ms: int
