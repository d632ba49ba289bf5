"""Logins: the server-side half of a staff token, so it can be revoked before it expires.

Each token names its login (`sid`); a token counts only while that row exists. Logging out deletes
the one login; a password change, an admin resetting a password, or disabling an account deletes
every login of that user. Functions flush but never commit; the caller owns the transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import Login, User
from earshot.auth.security import TokenClaims, issue_token, new_login_id
from earshot.config import Settings
from earshot.db import utcnow

log = logging.getLogger(__name__)


async def start_login(session: AsyncSession, user: User, settings: Settings) -> tuple[str, datetime]:
    """Record a new login for `user` and return its token and expiry."""
    login_id = new_login_id()
    token, expires_at = issue_token(user, login_id, settings)
    # Expired logins of this user are dead weight; sweeping them here keeps the table small.
    await session.execute(delete(Login).where(Login.user_id == user.id, Login.expires_at <= utcnow()))
    session.add(Login(id=login_id, user_id=user.id, expires_at=expires_at))
    await session.flush()
    return token, expires_at


async def user_for_token(session: AsyncSession, claims: TokenClaims) -> User | None:
    """The active user behind a token whose login is still open; None when revoked or disabled."""
    result = await session.execute(
        select(User)
        .join(Login, Login.user_id == User.id)
        .where(Login.id == claims.login_id, User.id == claims.user_id, Login.expires_at > utcnow())
    )
    user = result.scalar_one_or_none()
    return user if user is not None and user.is_active else None


async def end_login(session: AsyncSession, login_id: str) -> None:
    """Revoke one login (logging out)."""
    await session.execute(delete(Login).where(Login.id == login_id))


async def end_all_logins(session: AsyncSession, user_id: int) -> None:
    """Revoke every login of a user (password changed, account disabled)."""
    await session.execute(delete(Login).where(Login.user_id == user_id))
    log.info("revoked every login of user %d", user_id)
