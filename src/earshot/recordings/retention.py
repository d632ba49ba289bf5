"""Recordings past their retention are deleted; the file's last write is when its call ended."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from earshot.recordings.encoder import SUFFIX

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400
PART_GRACE_DAYS = 1  # an unfinished file this much past retention was left by a crash


def sweep_expired(directory: Path, retention_days: int, now: float | None = None) -> int:
    """Delete recordings (and crash leftovers) older than `retention_days`; how many were deleted."""
    if retention_days <= 0 or not directory.is_dir():
        return 0
    now = time.time() if now is None else now
    deleted = 0
    for path in directory.iterdir():
        if path.name.endswith(SUFFIX):
            days = retention_days
        elif path.name.endswith(SUFFIX + ".part"):
            days = retention_days + PART_GRACE_DAYS
        else:
            continue
        try:
            if path.stat().st_mtime < now - days * DAY_SECONDS:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # deleted meanwhile (an admin, another instance)
    return deleted
