"""Password hashing, session tokens and customer call tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from earshot.auth.models import Role, User
from earshot.auth.security import (
    TOKEN_ALGORITHM,
    _signing_key,
    call_token_matches,
    decode_token,
    hash_call_token,
    hash_password,
    issue_token,
    TokenClaims,
    new_call_token,
    verify_password,
)
from earshot.config import Settings


def _user(user_id: int = 7, role: Role = Role.supervisor) -> User:
    return User(id=user_id, username="sam", display_name="Sam", password_hash="", role=role, is_active=True)


def test_password_verifies_against_its_own_hash_only() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)


def test_verify_password_returns_false_for_garbage_hashes() -> None:
    for bad in ["", "not-a-hash", "$argon2id$v=19$m=1$broken", "$2b$12$bcryptlookingthing"]:
        assert verify_password("anything", bad) is False


def test_token_round_trips_to_the_user_and_login(settings: Settings) -> None:
    token, expires_at = issue_token(_user(), "login-1", settings)
    assert decode_token(token, settings) == TokenClaims(user_id=7, login_id="login-1")
    expected = datetime.now(UTC) + timedelta(minutes=settings.token_ttl_minutes)
    assert abs((expires_at - expected).total_seconds()) < 5


def test_token_carries_role_and_times(settings: Settings) -> None:
    token, expires_at = issue_token(_user(role=Role.admin), "login-1", settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "7"
    assert claims["role"] == "admin"
    assert claims["sid"] == "login-1"
    assert claims["exp"] == int(expires_at.timestamp())
    assert claims["exp"] - claims["iat"] == settings.token_ttl_minutes * 60


def test_token_signed_with_another_secret_is_rejected(settings: Settings) -> None:
    token, _ = issue_token(_user(), "login-1", settings)
    other = settings.model_copy(update={"secret_key": "another-secret"})
    assert decode_token(token, other) is None


def test_expired_token_is_rejected(settings: Settings) -> None:
    expired = settings.model_copy(update={"token_ttl_minutes": -1})
    token, _ = issue_token(_user(), "login-1", expired)
    assert decode_token(token, settings) is None


def test_malformed_and_unsigned_tokens_are_rejected(settings: Settings) -> None:
    unsigned = jwt.encode({"sub": "7", "sid": "x", "iat": 0, "exp": 2**40}, key=None, algorithm="none")
    for token in ["", "garbage", "a.b.c", unsigned]:
        assert decode_token(token, settings) is None


def test_token_without_a_login_id_is_rejected(settings: Settings) -> None:
    """Tokens from before logins were recorded name no login, so they cannot be revoked: refused."""
    key = _signing_key(settings)
    old = jwt.encode({"sub": "7", "iat": 1, "exp": 2**40}, key, algorithm=TOKEN_ALGORITHM)
    assert decode_token(old, settings) is None


def test_call_tokens_are_unique_and_match_only_their_hash() -> None:
    token, other = new_call_token(), new_call_token()
    assert token != other
    assert len(token) >= 40
    stored = hash_call_token(token)
    assert stored != token
    assert len(stored) == 64
    assert call_token_matches(token, stored)
    assert not call_token_matches(other, stored)
