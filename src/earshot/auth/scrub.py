"""Keeps credentials out of the server's logs: `token=` values in logged URLs are blanked.

Our own clients never put a token in a URL (the customer's call token travels as a WebSocket
subprotocol), but uvicorn logs every request line and WebSocket handshake path as it came, so an
old or hand-written client that sends `?token=...` would otherwise leave a working secret in the
access log. This is the defence in depth behind that rule.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_URL = re.compile(r"((?:^|[?&;])[A-Za-z_]*token=)[^&\s\"']*", re.IGNORECASE)

REDACTED = "[redacted]"

# uvicorn logs HTTP request lines on the first, WebSocket handshakes on the second.
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def scrub(text: str) -> str:
    """`text` with the value of every `...token=` URL parameter replaced."""
    return _TOKEN_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)


class TokenScrubber(logging.Filter):
    """Rewrites a log record whose formatted message carries a `token=` parameter."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        if "token=" in message.lower():
            record.msg, record.args = scrub(message), None
        return True


_scrubber = TokenScrubber()


def scrub_server_logs() -> None:
    """Install the scrubber on uvicorn's loggers (idempotent; a filter object is added once)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if _scrubber not in logger.filters:
            logger.addFilter(_scrubber)
