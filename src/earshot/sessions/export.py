"""A call's log as a file: JSON (the log itself), a plain-text transcript, WebVTT or SRT captions; history as CSV.

Everything comes from the log, where what was said is stored already redacted, so exports are too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from earshot.calls.models import Call
from earshot.calls.protocol import CallSummaryEvent, Chat, LoggedEvent, Transcript
from earshot.sessions.history import HistoryItem

CHAT_CAPTION_MS = 3000  # how long a chat line stays on screen in captions
HISTORY_COLUMNS = (
    "call_id", "queued_at", "answered_at", "ended_at", "status", "channel", "customer_name", "agent_id",
    "agent_name", "end_reason", "ended_by", "disposition", "lowest_sentiment", "had_alert", "summary",
)  # fmt: skip
MEDIA_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
}


def _lines(events: Iterable[LoggedEvent]) -> list[Chat | Transcript]:
    """What was said: chat lines and final transcripts."""
    return [e for e in events if isinstance(e, Chat) or (isinstance(e, Transcript) and e.final)]


def _span(line: Chat | Transcript) -> tuple[int, int]:
    if isinstance(line, Transcript):
        return line.start_ms, max(line.end_ms, line.start_ms + 1)
    return line.offset_ms, line.offset_ms + CHAT_CAPTION_MS


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def to_json(events: Sequence[LoggedEvent]) -> str:
    """The log, one JSON array; the same log gives the same bytes."""
    return json.dumps([json.loads(e.model_dump_json()) for e in events], ensure_ascii=False, indent=1) + "\n"


def to_text(call: Call, agent_name: str | None, events: Sequence[LoggedEvent]) -> str:
    head = [f"Call {call.id}", f"Customer: {call.customer_name}", f"Agent: {agent_name or '-'}",
            f"Queued: {call.queued_at.isoformat()}", f"Channel: {call.channel}", ""]  # fmt: skip
    body = []
    for line in _lines(events):
        kind = " (chat)" if isinstance(line, Chat) else ""
        body.append(f"[{_clock(line.offset_ms, '.')[:8]}] {line.speaker.capitalize()}{kind}: {line.text}")
    summaries = [e for e in events if isinstance(e, CallSummaryEvent)]
    tail = ["", "Summary:", summaries[-1].notes] if summaries else []
    return "\n".join([*head, *body, *tail]) + "\n"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(events: Sequence[LoggedEvent]) -> str:
    cues = ["WEBVTT", ""]
    for line in _lines(events):
        start, end = _span(line)
        voice = f"<v {line.speaker.capitalize()}>{_vtt_escape(line.text)}"
        cues += [f"{_clock(start, '.')} --> {_clock(end, '.')}", voice, ""]
    return "\n".join(cues)


def to_srt(events: Sequence[LoggedEvent]) -> str:
    cues: list[str] = []
    for number, line in enumerate(_lines(events), 1):
        start, end = _span(line)
        text = " ".join(line.text.splitlines())  # a blank line would end the cue
        timing = f"{_clock(start, ',')} --> {_clock(end, ',')}"
        cues += [str(number), timing, f"{line.speaker.capitalize()}: {text}", ""]
    return "\n".join(cues)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[attr-defined]
    # A cell a spreadsheet would run as a formula is quoted, so a caller's name cannot be one.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def history_csv_header() -> str:
    return _csv_rows([HISTORY_COLUMNS])


def history_csv_rows(items: Iterable[HistoryItem]) -> str:
    return _csv_rows([[_cell(getattr(item, column)) for column in HISTORY_COLUMNS] for item in items])


def _csv_rows(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
