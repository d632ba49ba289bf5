"""Demo staff accounts for `earshot serve --demo`; never use these passwords in production.

    username     password               name             role
    admin        admin-demo-pass        Admin Ada        admin
    supervisor   supervisor-demo-pass   Sam Supervisor   supervisor
    agent1       agent1-demo-pass       Alex Agent       agent
    agent2       agent2-demo-pass       Blake Agent      agent
    agent3       agent3-demo-pass       Casey Agent      agent
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.auth.models import Role, User
from earshot.auth.service import create_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    role: Role


DEMO_USERS: list[DemoUser] = [
    DemoUser("admin", "admin-demo-pass", "Admin Ada", Role.admin),
    DemoUser("supervisor", "supervisor-demo-pass", "Sam Supervisor", Role.supervisor),
    DemoUser("agent1", "agent1-demo-pass", "Alex Agent", Role.agent),
    DemoUser("agent2", "agent2-demo-pass", "Blake Agent", Role.agent),
    DemoUser("agent3", "agent3-demo-pass", "Casey Agent", Role.agent),
]


async def seed_demo_users(session: AsyncSession) -> int:
    """Create the demo accounts that are missing, leaving existing ones alone; returns how many."""
    existing = set(await session.scalars(select(User.username)))
    created = 0
    for demo in DEMO_USERS:
        if demo.username in existing:
            continue
        await create_user(session, demo.username, demo.display_name, demo.password, demo.role)
        created += 1
    if created:
        log.info("created %d demo staff accounts", created)
    return created
