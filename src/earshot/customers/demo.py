"""Deterministic demo customers, orders and tickets, including the ones the scripted calls talk about."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from faker import Faker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.customers.models import Customer, Order, Ticket

# A fixed "now" instead of today's date, so every run produces identical data.
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SEED = 20261101

# example.* domains are reserved (RFC 2606), so a demo email can never reach a real inbox.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
AREA_CODES = ("206", "212", "215", "303", "305", "312", "404", "415", "512", "617", "702", "713")

PRODUCTS: tuple[tuple[str, float], ...] = (
    ("Wireless headphones", 129.99),
    ("Bluetooth speaker", 59.99),
    ("USB-C charging cable", 12.99),
    ("Smartphone case", 19.99),
    ("Mechanical keyboard", 89.00),
    ("Wireless mouse", 29.99),
    ("27-inch monitor", 249.00),
    ("Laptop stand", 39.95),
    ("Ergonomic office chair", 289.00),
    ("Standing desk", 449.00),
    ("Desk lamp", 34.50),
    ("All-in-one inkjet printer", 149.99),
    ("Ink cartridge multipack", 44.99),
    ("Robot vacuum", 349.00),
    ("Coffee maker", 79.99),
    ("Electric kettle", 39.99),
    ("Running shoes", 119.00),
    ("Yoga mat", 24.99),
    ("Fitness tracker", 99.00),
    ("Backpack", 64.00),
    ("Smart thermostat", 179.00),
    ("Webcam", 69.99),
    ("Air purifier", 159.00),
)
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")

# (subject, body); "{order}" subjects are only used for customers who have orders.
TICKET_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Refund request for order {order}", "Customer is not happy with the item and asks for a refund."),
    ("Where is my order {order}?", "Tracking has not updated for several days."),
    ("Item damaged on arrival (order {order})", "The box was crushed and the item is scratched."),
    ("Wrong item received in order {order}", "Customer received a different colour than ordered."),
    ("Invoice needed for order {order}", "Customer needs a VAT invoice for their employer."),
    ("Password reset email not received", "Reset link requested twice; nothing in inbox or spam."),
    ("Question about a charge on my card", "Customer does not recognise a recent charge."),
    ("Change shipping address", "Customer moved and wants future orders sent to the new address."),
    ("Cancel my subscription", "Customer wants to cancel at the end of the billing period."),
    ("Cannot log in to my account", "Login fails with 'invalid credentials' after a password change."),
)

CUSTOMER_STATUS_WEIGHTS = {"active": 80, "vip": 12, "suspended": 5, "closed": 3}
ORDER_COUNT_WEIGHTS = (10, 20, 18, 15, 12, 9, 7, 5, 4)  # index = number of orders, 0-8
TICKET_COUNT_WEIGHTS = (45, 35, 15, 5)  # index = number of tickets, 0-3
TICKET_PRIORITY_WEIGHTS = {"low": 20, "normal": 55, "high": 20, "urgent": 5}
TICKET_STATUS_WEIGHTS = {"open": 30, "pending": 20, "closed": 50}


async def seed_demo_customers(session: AsyncSession, count: int = 200) -> int:
    """Add `count` customers (scenario ones included) unless any customer exists; returns how many."""
    if await session.scalar(select(Customer.id).limit(1)) is not None:
        return 0
    customers = _scenario_customers()
    taken = _Taken(
        emails={c.email for c in customers if c.email},
        phones={c.phone for c in customers if c.phone},
        orders={o.number for c in customers for o in c.orders},
        names={c.name for c in customers},
    )
    faker = Faker("en_US")
    faker.seed_instance(SEED)
    rng = random.Random(SEED)
    while len(customers) < count:
        customers.append(_random_customer(faker, rng, taken))
    session.add_all(customers)
    await session.flush()
    return len(customers)


@dataclass
class _Taken:
    """Values already handed out, so generated ones never clash with each other or the scenarios."""

    emails: set[str]
    phones: set[str]
    orders: set[str]
    names: set[str]


def _random_customer(faker: Faker, rng: random.Random, taken: _Taken) -> Customer:
    first, last = faker.first_name(), faker.last_name()
    # Scenario names stay unique (or exactly doubled, for Michael Smith) so lookups stay predictable.
    while f"{first} {last}" in taken.names:
        first, last = faker.first_name(), faker.last_name()
    status = _weighted(rng, CUSTOMER_STATUS_WEIGHTS)
    created_at = NOW - timedelta(days=rng.randint(20, 2200), seconds=rng.randint(0, 86_399))
    orders = [_random_order(rng, taken, created_at) for _ in range(_count(rng, ORDER_COUNT_WEIGHTS))]
    tickets = [_random_ticket(rng, orders, created_at) for _ in range(_count(rng, TICKET_COUNT_WEIGHTS))]
    prior = 0.0 if rng.random() < 0.5 else rng.uniform(20, 1500)
    if status == "vip":
        prior += rng.uniform(1500, 8000)
    email, phone = _unique_email(rng, taken, first, last), _unique_phone(rng, taken)
    return _customer(f"{first} {last}", email, phone, status, created_at, prior, orders, tickets)


def _random_order(rng: random.Random, taken: _Taken, since: datetime) -> Order:
    placed_at = _recent_moment(rng, since)
    age_days = (NOW - placed_at).days
    if age_days < 3:
        status = _weighted(rng, {"processing": 60, "shipped": 40})
    elif age_days < 10:
        status = _weighted(rng, {"shipped": 60, "delivered": 35, "cancelled": 5})
    else:
        status = _weighted(rng, {"delivered": 80, "returned": 10, "cancelled": 10})
    products = rng.sample(PRODUCTS, rng.choice((1, 1, 1, 2, 3)))
    lines = [(product, rng.choices((1, 2, 3), (85, 12, 3))[0]) for product in products]
    order = Order(
        number=_unique_order_number(rng, taken),
        placed_at=placed_at,
        status=status,
        total=round(sum(price * qty for (_, price), qty in lines), 2),
        items=", ".join(f"{name} x{qty}" for (name, _), qty in lines),
    )
    if status in ("shipped", "delivered", "returned"):
        order.carrier = rng.choice(CARRIERS)
        order.tracking_number = _tracking_number(rng, order.carrier)
    if status in ("shipped", "delivered"):
        expected = placed_at.date() + timedelta(days=rng.randint(3, 7))
        # A delivered parcel arrived by now; a shipped one may be overdue, which the demo wants.
        order.expected_delivery = min(expected, NOW.date()) if status == "delivered" else expected
    return order


def _random_ticket(rng: random.Random, orders: list[Order], since: datetime) -> Ticket:
    templates = TICKET_TEMPLATES if orders else [t for t in TICKET_TEMPLATES if "{order}" not in t[0]]
    subject, body = rng.choice(templates)
    order = rng.choice(orders) if orders else None
    created_at = _recent_moment(rng, since)
    status = _weighted(rng, TICKET_STATUS_WEIGHTS)
    updated_at = created_at if status == "open" else min(NOW, created_at + timedelta(hours=rng.randint(1, 96)))
    return Ticket(
        subject=subject.format(order=order.number if order else ""),
        body=body,
        status=status,
        priority=_weighted(rng, TICKET_PRIORITY_WEIGHTS),
        created_at=created_at,
        updated_at=updated_at,
    )


def _unique_email(rng: random.Random, taken: _Taken, first: str, last: str) -> str:
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
    while email in taken.emails:
        email = f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
    taken.emails.add(email)
    return email


def _unique_phone(rng: random.Random, taken: _Taken) -> str:
    phone = ""
    # Exchange 555 is left to the scenario customers, so their numbers can never be generated.
    while not phone or phone in taken.phones:
        exchange = rng.choice([n for n in range(200, 1000) if n != 555])
        phone = f"+1{rng.choice(AREA_CODES)}{exchange}{rng.randint(0, 9999):04d}"
    taken.phones.add(phone)
    return phone


def _unique_order_number(rng: random.Random, taken: _Taken) -> str:
    number = ""
    while not number or number in taken.orders:
        number = str(rng.randint(10000, 99999))
    taken.orders.add(number)
    return number


def _tracking_number(rng: random.Random, carrier: str) -> str:
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(6)) + digits(10)
    if carrier == "USPS":
        return "9400" + digits(18)
    return digits(12 if carrier == "FedEx" else 10)


def _recent_moment(rng: random.Random, since: datetime) -> datetime:
    """A time between `since` and NOW, skewed recent so the demo has parcels in transit and fresh tickets."""
    if rng.random() < 0.12:
        moment = NOW - timedelta(days=rng.uniform(0, 12))
    else:
        moment = NOW - (NOW - since) * rng.random() ** 2
    return max(moment, since).replace(microsecond=0)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _count(rng: random.Random, weights: tuple[int, ...]) -> int:
    return rng.choices(range(len(weights)), weights)[0]


def _lifetime_value(orders: list[Order], prior_spend: float) -> float:
    """Spend on every order that was not cancelled, plus what was spent before these records start."""
    return round(sum(o.total for o in orders if o.status != "cancelled") + prior_spend, 2)


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _customer(name: str, email: str, phone: str, status: str, since: datetime, prior: float,
              orders: list[Order], tickets: list[Ticket] | None = None) -> Customer:
    return Customer(name=name, email=email, phone=phone, status=status, created_at=since,
                    lifetime_value=_lifetime_value(orders, prior), orders=orders, tickets=tickets or [])


def _ticket(subject: str, body: str, status: str, priority: str, created_at: datetime) -> Ticket:
    return Ticket(subject=subject, body=body, status=status, priority=priority,
                  created_at=created_at, updated_at=created_at)


def _scenario_customers() -> list[Customer]:
    """Hand-written customers behind the scripted calls in shared/calls (d01-d08), plus two namesakes."""
    return [
        _customer("Emily Carter", "emily.carter@example.com", "+14155550101", "active", _at(2023, 3, 14), 412.50, [
            Order(number="12345", placed_at=_at(2026, 10, 3), status="delivered", total=129.99,
                  items="Wireless headphones x1", carrier="UPS", tracking_number="1Z999AA10123456784",
                  expected_delivery=date(2026, 10, 7)),
        ]),
        _customer("Oliver Bennett", "oliver.bennett@example.net", "+12125550102", "active", _at(2024, 6, 2), 88.00, [
            Order(number="20417", placed_at=_at(2026, 10, 19), status="shipped", total=238.99,
                  items="Bluetooth speaker x1, Smart thermostat x1", carrier="FedEx", tracking_number="771234567890",
                  expected_delivery=date(2026, 10, 26)),  # a Monday, now past: the package is late
        ], [_ticket("Where is my order 20417?", "Tracking has not moved since 22 October.", "pending", "normal",
                    _at(2026, 10, 28))]),
        _customer("Jane Doe", "jane.doe@example.com", "+13125550103", "active", _at(2022, 11, 20), 640.00, [
            Order(number="31877", placed_at=_at(2026, 8, 12), status="delivered", total=44.99,
                  items="Ink cartridge multipack x1", carrier="USPS", tracking_number="9400111202555842761234",
                  expected_delivery=date(2026, 8, 16)),
        ], [_ticket("Password reset email not received", "Requested a reset link three times; nothing in inbox "
                    "or spam.", "open", "normal", _at(2026, 10, 31, 18))]),
        _customer("Marcus Lee", "marcus.lee@example.com", "+16175550104", "active", _at(2025, 10, 15), 0.0, [
            Order(number="30049", placed_at=_at(2026, 10, 15, 3), status="delivered", total=49.00,
                  items="Premium plan annual renewal x1"),  # the "$49 charge I don't recognise"
            Order(number="30048", placed_at=_at(2025, 10, 15, 14), status="delivered", total=49.00,
                  items="Premium plan (annual) x1"),
        ]),
        _customer("Hannah Wright", "hannah.wright@example.org", "+17025550105", "active", _at(2025, 5, 1), 239.94, [
            Order(number=number, placed_at=_at(2026, month, 1, 6), status="delivered", total=39.99,
                  items="Premium membership (monthly) x1")
            for number, month in (("41510", 10), ("41509", 9), ("41508", 8))
        ]),
        _customer("Daniel Brooks", "daniel.brooks@example.com", "+12065550106", "vip", _at(2021, 2, 9), 5230.00, [
            Order(number="52210", placed_at=_at(2026, 9, 20), status="returned", total=349.00,
                  items="Robot vacuum x1", carrier="UPS", tracking_number="1Z4F8E290312345678"),
        ], [_ticket("Refund for order 52210 still not received", "Returned three weeks ago; promised a call back "
                    "twice.", "open", "urgent", _at(2026, 10, 22))]),
        _customer("Priya Patel", "priya.patel@example.net", "+15125550107", "active", _at(2024, 1, 8), 310.25, [
            Order(number="60733", placed_at=_at(2026, 8, 27), status="delivered", total=149.99,
                  items="All-in-one inkjet printer x1", carrier="FedEx", tracking_number="771298765432",
                  expected_delivery=date(2026, 9, 1)),
        ], [_ticket("Printer shows an error light after firmware update", "Printer stopped printing after the "
                    "latest update.", "open", "high", _at(2026, 10, 30))]),
        _customer("Robert Nguyen", "robert.nguyen@example.org", "+14045550108", "active", _at(2023, 7, 30), 154.00, [
            Order(number="70588", placed_at=_at(2026, 10, 23), status="delivered", total=289.00,
                  items="Ergonomic office chair x1", carrier="DHL", tracking_number="4829173650",
                  expected_delivery=date(2026, 10, 29)),
        ]),
        # Two customers with the same name, so lookups must cope with ambiguity.
        _customer("Michael Smith", "michael.smith@example.com", "+13035550109", "active", _at(2022, 4, 5), 75.00, [
            Order(number="81234", placed_at=_at(2026, 10, 12), status="delivered", total=29.99,
                  items="Wireless mouse x1", carrier="USPS", tracking_number="9400111202555899991234",
                  expected_delivery=date(2026, 10, 16)),
        ]),
        _customer("Michael Smith", "mike.smith@example.net", "+13055550110", "vip", _at(2020, 9, 17), 3120.00, [
            Order(number="81990", placed_at=_at(2026, 10, 29), status="processing", total=449.00,
                  items="Standing desk x1"),
        ]),
    ]
