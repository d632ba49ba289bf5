"""Staff accounts: creating, checking passwords, listing and changing them.

Functions flush but never commit; the caller owns the transaction.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import Role, User
from earshot.auth.security import hash_password, password_needs_rehash, verify_password

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 128


class UserError(ValueError):
    """A request to create or change an account that breaks a rule; the message says which."""


class WrongPasswordError(UserError):
    """The current password given to confirm a change is not the account's password."""

    def __init__(self) -> None:
        super().__init__("the current password is wrong")


class UsernameTakenError(UserError):
    """The username belongs to another account."""

    def __init__(self) -> None:
        super().__init__("username already taken")


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive and stored lowercased."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise UserError("username must be 3-64 characters of a-z, 0-9, '.', '_' or '-'")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


def _check_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise UserError(f"display name must be 1-{MAX_DISPLAY_NAME_LENGTH} characters")
    return name


def _check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserError(f"role must be one of: {', '.join(r.value for r in Role)}") from None


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both paths cost one argon2 verify.
    return hash_password("earshot-no-such-user")


async def create_user(
    session: AsyncSession, username: str, display_name: str, password: str, role: Role | str
) -> User:
    """Add an account; raises UserError when a field breaks a rule or the username is taken."""
    name = normalize_username(username)
    shown = _check_display_name(display_name)
    _check_password(password)
    checked_role = _check_role(role)
    if await session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UsernameTakenError()
    user = User(
        username=name,
        display_name=shown,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=checked_role,
        is_active=True,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race with another request for the same name
        raise UsernameTakenError() from exc
    log.info("created %s account %r (id %d)", checked_role.value, name, user.id)
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """The active user these credentials belong to, else None; never blocks the event loop."""
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        await asyncio.to_thread(verify_password, password, _dummy_hash())
        return None
    if not await asyncio.to_thread(verify_password, password, user.password_hash):
        return None
    if not user.is_active:
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
        await session.flush()
    return user


async def list_users(session: AsyncSession) -> list[User]:
    """All accounts, active or not, by username."""
    return list(await session.scalars(select(User).order_by(User.username)))


async def get_active_user(session: AsyncSession, user_id: int) -> User | None:
    """The account with this id when it exists and may log in."""
    user = await session.get(User, user_id)
    return user if user is not None and user.is_active else None


async def update_user(
    session: AsyncSession,
    user_id: int,
    *,
    display_name: str | None = None,
    role: Role | str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change the given fields (None leaves one as it is); LookupError when there is no such user."""
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user with id {user_id}")
    # Check every field before changing any, so a rejected update leaves the account untouched.
    shown = _check_display_name(display_name) if display_name is not None else None
    checked_role = _check_role(role) if role is not None else None
    if password is not None:
        _check_password(password)
    if shown is not None:
        user.display_name = shown
    if checked_role is not None:
        user.role = checked_role
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.flush()
    log.info("updated account %r (id %d)", user.username, user.id)
    return user


async def change_password(session: AsyncSession, user: User, current_password: str, new_password: str) -> None:
    """Set a user's own new password; UserError when the current one is wrong or the new one breaks a rule."""
    if not await asyncio.to_thread(verify_password, current_password, user.password_hash):
        raise WrongPasswordError()
    _check_password(new_password)
    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    await session.flush()
    log.info("account %r (id %d) changed its password", user.username, user.id)
