"""Demo data for `earshot serve --demo`: staff accounts with documented passwords and customers."""

from __future__ import annotations

import logging

from earshot.auth.demo import seed_demo_users
from earshot.config import Settings
from earshot.customers.demo import seed_demo_customers
from earshot.db import Database

log = logging.getLogger(__name__)


async def seed_demo_data(settings: Settings) -> None:
    """Idempotent: creates what is missing, never overwrites what exists."""
    db = Database(settings.resolved_database_url)
    try:
        await db.migrate()
        async with db.sessions() as session:
            users = await seed_demo_users(session)
            customers = await seed_demo_customers(session)
            await session.commit()
        log.info("demo data: %d users and %d customers created", users, customers)
    finally:
        await db.close()
