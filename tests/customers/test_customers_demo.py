"""The demo customers: enough of them, unique contact details, reproducible, and the call scenarios present."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from earshot.customers.demo import seed_demo_customers
from earshot.customers.models import Customer, Order, Ticket
from earshot.db import Database


async def _fresh_database(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    return db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await _fresh_database(tmp_path / "t.db")
    yield database
    await database.close()


async def _seed(db: Database) -> int:
    async with db.sessions() as session:
        created = await seed_demo_customers(session)
        await session.commit()
    return created


async def _digest(db: Database) -> str:
    """A fingerprint of everything generated, so two databases can be compared in one assert."""
    async with db.sessions() as session:
        customers = await session.scalars(
            select(Customer).options(selectinload(Customer.orders), selectinload(Customer.tickets)).order_by(Customer.id)
        )
        rows = []
        for c in customers:
            rows.append(f"{c.name}|{c.email}|{c.phone}|{c.status}|{c.lifetime_value}|{c.created_at.isoformat()}")
            rows += [f"  {o.number}|{o.status}|{o.total}|{o.items}|{o.placed_at.isoformat()}" for o in c.orders]
            rows += [f"  {t.subject}|{t.status}|{t.priority}|{t.created_at.isoformat()}" for t in c.tickets]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


async def test_seeds_about_200_customers_with_orders_and_tickets(db: Database) -> None:
    assert await _seed(db) == 200
    async with db.sessions() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 200
        assert await session.scalar(select(func.count(Order.id))) > 400
        assert await session.scalar(select(func.count(Ticket.id))) > 100
        statuses = set(await session.scalars(select(Customer.status)))
        order_statuses = set(await session.scalars(select(Order.status)))
    assert statuses == {"active", "vip", "suspended", "closed"}
    assert order_statuses == {"processing", "shipped", "delivered", "returned", "cancelled"}


async def test_emails_phones_and_order_numbers_are_unique_and_well_formed(db: Database) -> None:
    await _seed(db)
    async with db.sessions() as session:
        emails = list(await session.scalars(select(Customer.email)))
        phones = list(await session.scalars(select(Customer.phone)))
        numbers = list(await session.scalars(select(Order.number)))
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    assert all(p and p.startswith("+1") and len(p) == 12 and p[1:].isdigit() for p in phones)
    assert all(len(n) == 5 and n.isdigit() for n in numbers)


async def test_shipped_orders_carry_tracking_and_lifetime_value_covers_orders(db: Database) -> None:
    await _seed(db)
    async with db.sessions() as session:
        shipped = list(await session.scalars(select(Order).where(Order.status == "shipped")))
        customers = await session.scalars(select(Customer).options(selectinload(Customer.orders)))
        for c in customers:
            spent = sum(o.total for o in c.orders if o.status != "cancelled")
            assert c.lifetime_value >= round(spent, 2) - 0.01
    assert shipped
    assert all(o.carrier and o.tracking_number and o.expected_delivery for o in shipped)


async def test_second_run_creates_nothing(db: Database) -> None:
    await _seed(db)
    assert await _seed(db) == 0
    async with db.sessions() as session:
        assert await session.scalar(select(func.count(Customer.id))) == 200


async def test_two_fresh_databases_get_identical_data(tmp_path: Path) -> None:
    first, second = await _fresh_database(tmp_path / "a.db"), await _fresh_database(tmp_path / "b.db")
    try:
        await _seed(first)
        await _seed(second)
        assert await _digest(first) == await _digest(second)
    finally:
        await first.close()
        await second.close()


async def test_scenario_customers_exist(db: Database) -> None:
    await _seed(db)
    async with db.sessions() as session:
        jane = await session.scalar(
            select(Customer).where(Customer.email == "jane.doe@example.com").options(selectinload(Customer.tickets))
        )
        headphones = await session.scalar(
            select(Order).where(Order.number == "12345").options(selectinload(Order.customer))
        )
        late = await session.scalar(select(Order).where(Order.number == "20417"))
        renewal = await session.scalar(select(Order).where(Order.number == "30049"))
        chair = await session.scalar(select(Order).where(Order.number == "70588"))
        gym = await session.scalar(select(func.count(Order.id)).where(Order.items.like("Premium membership%")))
        smiths = await session.scalar(select(func.count(Customer.id)).where(Customer.name == "Michael Smith"))
    assert jane is not None and jane.name == "Jane Doe"
    assert any(t.subject == "Password reset email not received" for t in jane.tickets)
    assert headphones is not None and headphones.items == "Wireless headphones x1"
    assert headphones.status == "delivered" and headphones.customer.name == "Emily Carter"
    assert late is not None and late.status == "shipped" and late.expected_delivery is not None
    assert renewal is not None and renewal.total == 49.00
    assert chair is not None and chair.items == "Ergonomic office chair x1"
    assert gym >= 1
    assert smiths == 2
