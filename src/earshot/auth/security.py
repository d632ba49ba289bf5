"""Password hashing, staff session tokens (JWT) and customers' per-call tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

from earshot.auth.models import Role, User
from earshot.config import Settings
from earshot.db import utcnow

SESSION_COOKIE = "earshot_session"
"""The cookie that carries the staff JWT for browsers (REST and WebSocket alike)."""

TOKEN_ALGORITHM = "HS256"


@cache
def _hasher() -> PasswordHasher:
    # One cost per process, from the environment: every server, CLI command and seeding script
    # of a deployment (or a test run) then makes and expects the same kind of hash.
    settings = Settings()
    return PasswordHasher(time_cost=settings.password_hash_time_cost, memory_cost=settings.password_hash_memory_kib)


def hash_password(password: str) -> str:
    """Argon2id hash of `password`, with its salt and parameters encoded in the string."""
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches; False for a mismatch or a malformed hash, never an error."""
    try:
        return _hasher().verify(password_hash, password)
    except (Argon2Error, InvalidHashError, TypeError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def _signing_key(settings: Settings) -> bytes:
    # Derived rather than used raw: a fixed 32-byte key whatever the length of the configured
    # secret, and separate from any other use of that secret.
    secret = settings.resolved_secret_key().encode()
    return hashlib.sha256(b"earshot/session-token/v1:" + secret).digest()


@dataclass(frozen=True)
class TokenClaims:
    """What a valid session token says: whose it is and which login (revocable) issued it."""

    user_id: int
    login_id: str


def new_login_id() -> str:
    return secrets.token_hex(16)


def issue_token(user: User, login_id: str, settings: Settings) -> tuple[str, datetime]:
    """A signed session token for `user`'s login `login_id` and the moment it expires."""
    issued = utcnow().replace(microsecond=0)
    expires = issued + timedelta(minutes=settings.token_ttl_minutes)
    claims = {
        "sub": str(user.id),
        "sid": login_id,
        "role": Role(user.role).value,
        "iat": issued,
        "exp": expires,
    }
    return jwt.encode(claims, _signing_key(settings), algorithm=TOKEN_ALGORITHM), expires


def decode_token(token: str, settings: Settings) -> TokenClaims | None:
    """The claims of a well-signed, unexpired token; None when forged, malformed or expired.

    A valid signature is not enough to let someone in: the login it names must still exist
    (see auth.logins), or the token was revoked.
    """
    try:
        claims = jwt.decode(
            token,
            _signing_key(settings),
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "sid", "iat", "exp"]},
        )
        login_id = claims["sid"]
        if not isinstance(login_id, str) or not login_id:
            return None
        return TokenClaims(user_id=int(claims["sub"]), login_id=login_id)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def new_call_token() -> str:
    """A fresh bearer secret that lets one customer join one call."""
    return secrets.token_urlsafe(32)


def hash_call_token(token: str) -> str:
    """What we store for a call token: its SHA-256, so a database leak reveals no live token."""
    return hashlib.sha256(token.encode()).hexdigest()


def call_token_matches(token: str, token_hash: str) -> bool:
    """Constant-time check of a presented call token against the stored hash."""
    return hmac.compare_digest(hash_call_token(token), token_hash)
