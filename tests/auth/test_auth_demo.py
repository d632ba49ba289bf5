"""Demo staff accounts."""

from __future__ import annotations

from earshot.auth.demo import DEMO_USERS, seed_demo_users
from earshot.auth.models import Role
from earshot.auth.service import authenticate, create_user, list_users
from earshot.db import Database


async def test_demo_seeding_creates_documented_accounts_once(db: Database) -> None:
    async with db.sessions() as session:
        assert await seed_demo_users(session) == 5
        await session.commit()
    async with db.sessions() as session:
        assert await seed_demo_users(session) == 0
        await session.commit()
        users = {u.username: u for u in await list_users(session)}
    assert set(users) == {"admin", "supervisor", "agent1", "agent2", "agent3"}
    assert users["admin"].role == Role.admin
    assert users["supervisor"].display_name == "Sam Supervisor"
    assert {users[f"agent{i}"].role for i in (1, 2, 3)} == {Role.agent}


async def test_demo_passwords_work(db: Database) -> None:
    async with db.sessions() as session:
        await seed_demo_users(session)
        await session.commit()
        for demo in DEMO_USERS:
            assert await authenticate(session, demo.username, f"{demo.username}-demo-pass") is not None


async def test_demo_seeding_leaves_an_existing_account_alone(db: Database) -> None:
    async with db.sessions() as session:
        await create_user(session, "admin", "Our Real Admin", "real-admin-password", Role.admin)
        assert await seed_demo_users(session) == 4
        await session.commit()
        assert await authenticate(session, "admin", "admin-demo-pass") is None
        assert await authenticate(session, "admin", "real-admin-password") is not None
