"""Who is calling and what the search box finds, over the 200 demo customers on a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.customers.demo import seed_demo_customers
from earshot.customers.lookup import (
    customer_context,
    name_similarity,
    normalize_name,
    phone_key,
    resolve_caller,
    search_customers,
)
from earshot.customers.models import Customer, Ticket
from earshot.db import Database


@pytest.fixture(scope="module")
async def db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    """Seeded once per module: lookups only read, and seeding 200 customers is the slow part."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('lookup') / 't.db'}")
    await database.migrate()
    async with database.sessions() as session:
        await seed_demo_customers(session)
        await session.commit()
    yield database
    await database.close()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.sessions() as s:
        yield s


async def _resolved_name(
    session: AsyncSession, name: str | None, email: str | None = None, phone: str | None = None
) -> str | None:
    resolution = await resolve_caller(session, name=name, email=email, phone=phone)
    assert (resolution.status == "matched") == (resolution.customer is not None)
    return resolution.customer.name if resolution.customer else None


def test_names_compare_without_case_accents_or_spacing() -> None:
    assert normalize_name("  JOSÉ   o'Néil ") == "jose o neil"
    assert name_similarity(normalize_name("Émily  CARTER"), normalize_name("Emily Carter")) == 1.0
    assert phone_key("+1 (415) 555-0101") == phone_key("415.555.0101") == "4155550101"


async def test_exact_email_wins_whatever_the_case_and_spaces(session: AsyncSession) -> None:
    assert await _resolved_name(session, "Someone Else", email="  Emily.Carter@Example.com ") == "Emily Carter"


@pytest.mark.parametrize("phone", ["+14155550101", "(415) 555-0101", "415.555.0101", "4155550101", "1-415-555-0101"])
async def test_exact_phone_in_any_usual_format(session: AsyncSession, phone: str) -> None:
    assert await _resolved_name(session, "Caller", phone=phone) == "Emily Carter"


async def test_phone_caller_whose_name_is_the_number(session: AsyncSession) -> None:
    assert await _resolved_name(session, "+12125550102", phone="+12125550102") == "Oliver Bennett"
    assert await _resolved_name(session, "(212) 555-0102", phone=None) == "Oliver Bennett"


async def test_exact_name_matches_and_brings_the_panel(session: AsyncSession) -> None:
    resolution = await resolve_caller(session, name="  jane   DOE ", email=None, phone=None)
    assert resolution.status == "matched" and resolution.customer is not None
    assert resolution.customer.email == "jane.doe@example.com"
    assert [o.number for o in resolution.customer.recent_orders] == ["31877"]
    assert [t.subject for t in resolution.customer.open_tickets] == ["Password reset email not received"]


@pytest.mark.parametrize(
    ("said", "customer"),
    [("Jane Do", "Jane Doe"), ("Emilly Carter", "Emily Carter"), ("Carter Emily", "Emily Carter"),
     ("Hanna Right", "Hannah Wright"), ("E. Carter", "Emily Carter"), ("Patel", "Priya Patel")],
)  # fmt: skip
async def test_fuzzy_name_finds_the_one_close_customer(session: AsyncSession, said: str, customer: str) -> None:
    assert await _resolved_name(session, said) == customer


async def test_namesakes_are_ambiguous_until_contact_details_tell_them_apart(session: AsyncSession) -> None:
    resolution = await resolve_caller(session, name="Michael Smith", email=None, phone=None)
    assert resolution.status == "ambiguous" and resolution.customer is None
    emails = sorted(c.email or "" for c in resolution.candidates)
    assert emails == ["michael.smith@example.com", "mike.smith@example.net"]
    assert all(c.score == 1.0 for c in resolution.candidates)
    assert await _resolved_name(session, "Michael Smith", email="mike.smith@example.net") == "Michael Smith"
    by_email = await resolve_caller(session, name="Michael Smith", email="mike.smith@example.net", phone=None)
    assert by_email.customer is not None and by_email.customer.status == "vip"


async def test_close_but_different_first_name_is_offered_not_assumed(session: AsyncSession) -> None:
    resolution = await resolve_caller(session, name="Micheal Smith", email=None, phone=None)
    assert resolution.status == "ambiguous"
    assert [c.name for c in resolution.candidates] == ["Michael Smith", "Michael Smith"]
    assert all(0 < c.score < 1 for c in resolution.candidates)


async def test_a_different_first_name_with_the_same_surname_is_only_offered(session: AsyncSession) -> None:
    resolution = await resolve_caller(session, name="Jon Smith", email=None, phone=None)
    assert resolution.status == "ambiguous"
    assert [c.name for c in resolution.candidates] == ["Jason Smith"]


async def test_email_stored_in_mixed_case_is_still_found(session: AsyncSession) -> None:
    session.add(Customer(name="Mixed Case", email="Mixed.Case@Example.COM"))
    await session.flush()
    found = await _resolved_name(session, "Someone", email="mixed.case@example.com ")
    await session.rollback()
    assert found == "Mixed Case"


async def test_a_shared_number_lets_the_name_choose(session: AsyncSession) -> None:
    session.add_all([Customer(name="Ann Shared", phone="+16465550199"), Customer(name="Bob Shared", phone="6465550199")])
    await session.flush()
    by_name = await resolve_caller(session, name="Bob Sharred", email=None, phone="646-555-0199")
    number_only = await resolve_caller(session, name="+1 646 555 0199", email=None, phone="+1 646 555 0199")
    await session.rollback()
    assert by_name.customer is not None and by_name.customer.name == "Bob Shared"
    assert number_only.status == "ambiguous"
    assert [c.name for c in number_only.candidates] == ["Ann Shared", "Bob Shared"]


async def test_contact_details_of_nobody_do_not_stop_the_name(session: AsyncSession) -> None:
    assert await _resolved_name(session, "Jane Doe", email="nobody@example.com", phone="+19995550000") == "Jane Doe"


@pytest.mark.parametrize(
    ("name", "email", "phone"),
    [("Zebulon Quackenbush", None, None), ("+19995550000", None, "+19995550000"), ("Emily", None, None),
     ("Pat Caller", "pat@example.com", None), ("", None, None), (None, None, None)],
)  # fmt: skip
async def test_unknown_caller(session: AsyncSession, name: str | None, email: str | None, phone: str | None) -> None:
    resolution = await resolve_caller(session, name=name, email=email, phone=phone)
    assert (resolution.status, resolution.customer, resolution.candidates) == ("unknown", None, [])


async def test_resolution_is_deterministic(session: AsyncSession) -> None:
    first = await resolve_caller(session, name="Micheal Smith", email=None, phone=None)
    assert await resolve_caller(session, name="Micheal Smith", email=None, phone=None) == first


async def test_context_lists_newest_orders_and_only_unresolved_tickets(session: AsyncSession) -> None:
    hannah = await search_customers(session, "hannah.wright@example.org", 1)
    context = await customer_context(session, hannah[0].id)
    assert context is not None and [o.number for o in context.recent_orders] == ["41510", "41509", "41508"]
    assert await customer_context(session, 10**9) is None


async def test_context_caps_orders_and_skips_closed_tickets(session: AsyncSession) -> None:
    customer = Customer(name="Temporary Tester", email="temp.tester@example.com", phone="+15555550000")
    customer.tickets = [Ticket(subject=f"t{i}", status=("closed" if i % 3 == 0 else "open")) for i in range(15)]
    session.add(customer)
    await session.flush()
    context = await customer_context(session, customer.id)
    await session.rollback()
    assert context is not None and context.recent_orders == []
    assert len(context.open_tickets) == 10 and all(t.status == "open" for t in context.open_tickets)


async def test_search_by_order_number(session: AsyncSession) -> None:
    hits = await search_customers(session, "12345")
    assert hits[0].name == "Emily Carter" and hits[0].score == 1.0
    assert (await search_customers(session, "#20417"))[0].name == "Oliver Bennett"


async def test_search_by_email_fragment_and_phone_digits(session: AsyncSession) -> None:
    assert (await search_customers(session, "priya.pat"))[0].name == "Priya Patel"
    assert (await search_customers(session, "5550107"))[0].name == "Priya Patel"
    assert (await search_customers(session, "(512) 555-0107"))[0].score == 1.0


async def test_search_by_name_prefix_and_typo(session: AsyncSession) -> None:
    assert "Daniel Brooks" in [m.name for m in await search_customers(session, "dan bro")]
    assert (await search_customers(session, "Robert Nguyn"))[0].name == "Robert Nguyen"
    smiths = await search_customers(session, "mich smi")
    assert [m.name for m in smiths[:2]] == ["Michael Smith", "Michael Smith"]


async def test_search_ranks_best_first_and_respects_the_limit(session: AsyncSession) -> None:
    hits = await search_customers(session, "smith", limit=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert await search_customers(session, "   ") == []
    assert await search_customers(session, "qqqxxyz") == []
