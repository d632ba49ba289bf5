"""Account rules and password checks against a real SQLite database."""

from __future__ import annotations

import pytest

from earshot.auth.models import Role, User
from earshot.auth.security import verify_password
from earshot.auth.service import (
    UserError,
    authenticate,
    create_user,
    get_active_user,
    list_users,
    update_user,
)
from earshot.db import Database


async def test_created_user_is_stored_lowercased_with_a_hashed_password(db: Database) -> None:
    async with db.sessions() as session:
        user = await create_user(session, "  Alex.Agent ", "Alex Agent", "long-enough", Role.agent)
        await session.commit()
    assert user.id is not None
    assert user.username == "alex.agent"
    assert user.is_active
    assert user.created_at.tzinfo is not None
    assert user.password_hash != "long-enough"
    assert verify_password("long-enough", user.password_hash)


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("ab", "long-enough", Role.agent, "username"),
        ("x" * 65, "long-enough", Role.agent, "username"),
        ("has space", "long-enough", Role.agent, "username"),
        ("émile", "long-enough", Role.agent, "username"),
        ("alex", "short", Role.agent, "password"),
        ("alex", "long-enough", "boss", "role"),
    ],
)
async def test_create_user_rejects_invalid_fields(
    db: Database, username: str, password: str, role: str, message: str
) -> None:
    async with db.sessions() as session:
        with pytest.raises(UserError, match=message):
            await create_user(session, username, "Someone", password, role)


async def test_duplicate_username_is_refused_whatever_the_case(db: Database) -> None:
    async with db.sessions() as session:
        await create_user(session, "alex", "Alex", "long-enough", Role.agent)
        await session.commit()
        with pytest.raises(UserError, match="username already taken"):
            await create_user(session, "ALEX", "Other Alex", "long-enough", Role.agent)


async def test_authenticate_accepts_right_password_only(staff: dict[str, User], db: Database) -> None:
    async with db.sessions() as session:
        user = await authenticate(session, "Alex", "alex-password")
        assert user is not None and user.id == staff["agent"].id
        assert await authenticate(session, "alex", "wrong-password") is None
        assert await authenticate(session, "nobody", "alex-password") is None


async def test_inactive_user_cannot_authenticate(staff: dict[str, User], db: Database) -> None:
    async with db.sessions() as session:
        assert await authenticate(session, "gone", "gone-password") is None
        assert await get_active_user(session, staff["disabled"].id) is None
        assert await get_active_user(session, staff["agent"].id) is not None


async def test_list_users_includes_inactive_ones_by_username(staff: dict[str, User], db: Database) -> None:
    async with db.sessions() as session:
        assert [u.username for u in await list_users(session)] == ["ada", "alex", "gone"]


async def test_update_user_changes_only_given_fields(staff: dict[str, User], db: Database) -> None:
    async with db.sessions() as session:
        user = await update_user(session, staff["agent"].id, role=Role.supervisor, password="new-password")
        await session.commit()
    assert user.role == Role.supervisor
    assert user.display_name == "Alex Agent"
    async with db.sessions() as session:
        assert await authenticate(session, "alex", "new-password") is not None
        assert await authenticate(session, "alex", "alex-password") is None


async def test_rejected_update_changes_nothing(staff: dict[str, User], db: Database) -> None:
    async with db.sessions() as session:
        with pytest.raises(UserError):
            await update_user(session, staff["agent"].id, display_name="New Name", password="short")
        await session.commit()
    async with db.sessions() as session:
        user = await session.get(User, staff["agent"].id)
        assert user is not None and user.display_name == "Alex Agent"


async def test_update_missing_user_raises_lookup_error(db: Database) -> None:
    async with db.sessions() as session:
        with pytest.raises(LookupError):
            await update_user(session, 999, display_name="Nobody")


async def test_a_hash_of_another_cost_still_logs_in_and_is_rehashed_at_the_configured_cost(db: Database) -> None:
    from argon2 import PasswordHasher

    from earshot.config import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    async with db.sessions() as session:
        user = await create_user(session, "old.hash", "Old Hash", "long-enough", Role.agent)
        user.password_hash = PasswordHasher(time_cost=2, memory_cost=1024).hash("long-enough")  # an older deployment's
        await session.commit()
    async with db.sessions() as session:
        assert await authenticate(session, "old.hash", "long-enough") is not None
        await session.commit()
    async with db.sessions() as session:
        stored = (await get_active_user(session, user.id)).password_hash  # type: ignore[union-attr]
    assert f"m={settings.password_hash_memory_kib},t={settings.password_hash_time_cost}," in stored
    assert verify_password("long-enough", stored)


def test_passwords_are_hashed_at_64_mib_and_three_passes_unless_configured() -> None:
    from earshot.config import Settings

    fields = Settings.model_fields
    assert (fields["password_hash_memory_kib"].default, fields["password_hash_time_cost"].default) == (65536, 3)
