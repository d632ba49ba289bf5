"""Finding customers: who a caller is, what the agent's search box means, and a customer's panel.

Every lookup narrows the table in SQL first and reads at most `MAX_ROWS` rows, so Python never
sees more than a few hundred customers whatever the table's size. Exact email and phone go
through their indexes; names are pre-filtered by a LIKE on the first letters of each word (no
plain index serves a word inside a name, so that one is a scan, done by the database).

Name scores run from 0 to 1 (1 only for the same name once case, accents, punctuation and
spacing are ignored) and are the best of three readings of the caller's words: the whole name
with a typo or two, the same words in another order, and a name with a missing or initial-only
first name. The thresholds below turn a score into a decision; they were tuned on the demo
customers' typos ("Jane Do", "Emilly Carter", "Hanna Right") and near-misses ("Jon Smith" is
offered as Jason Smith, never assumed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from earshot.customers.models import Customer, Order, Ticket
from earshot.customers.schemas import CustomerContext, CustomerMatch, OrderInfo, TicketInfo

MAX_ROWS = 200  # rows any one lookup reads before scoring; bounds the Python work per call
MAX_CANDIDATES = 5  # candidates offered to the agent for an ambiguous caller
MATCH_SCORE = 0.85  # a lone fuzzy candidate needs this much to be taken as the caller...
MATCH_LEAD = 0.08  # ...and this much over the runner-up; closer than that, the agent chooses
CANDIDATE_SCORE = 0.75  # below this a name is not worth showing as a possible caller
CANDIDATE_BAND = 0.15  # candidates shown are within this of the best one
SEARCH_SCORE = 0.6  # the search box shows weaker hits: the agent reads the list
REORDER_FACTOR = 0.95  # "Carter Emily" is very likely Emily Carter, never quite as sure as the exact name
MISSING_NAME_FACTOR = 0.85  # "Carter" alone: enough only when a single Carter is close
INITIAL_FACTOR = 0.9  # "E. Carter"
TOKEN_AGREEMENT = 0.8  # every word should be about this close to its counterpart; below, the score shrinks
SURNAME_SIMILARITY = 0.8  # a partial name must still contain (nearly) the surname
STEM_LENGTH = 3  # name tokens are pre-filtered on their first letters, so a later typo still finds them
OPEN_TICKET_STATUSES = ("open", "pending")
RECENT_ORDERS = 5
OPEN_TICKETS = 10

ResolutionStatus = Literal["matched", "ambiguous", "unknown"]


@dataclass(frozen=True)
class CallerResolution:
    """Who the caller is: one customer, a short list for the agent to choose from, or nobody."""

    status: ResolutionStatus
    customer: CustomerContext | None = None
    candidates: list[CustomerMatch] = field(default_factory=list)


# --- normalisation and scoring (pure) ---------------------------------------------------------


def normalize_name(text: str) -> str:
    """Lower case, accents dropped, punctuation as spaces, single spaces: "  José  O'Neil" -> "jose o neil"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def normalize_email(text: str) -> str:
    return text.strip().lower()


def phone_key(text: str) -> str:
    """The digits that identify a number: the last 10 when there are at least 10 (so +1 and 1- prefixes vanish)."""
    digits = re.sub(r"\D", "", text)
    return digits[-10:] if len(digits) >= 10 else digits


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


@lru_cache(maxsize=8192)
def _ratio(a: str, b: str) -> float:
    """Cached: the same word pairs ("carter"/"carter") come up for row after row, and difflib is slow."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def name_similarity(query: str, candidate: str) -> float:
    """How likely normalised `query` names the customer called normalised `candidate`, 0..1."""
    if query == candidate:
        return 1.0
    q_tokens, c_tokens = query.split(), candidate.split()
    pairs = _paired_words(q_tokens, c_tokens)
    # A long shared surname must not carry a different first name: "Jon Smith" is not quite "Jason Smith".
    agreement = min(1.0, min((sim for _, _, sim in pairs), default=0.0) / TOKEN_AGREEMENT)
    whole = _ratio(query, candidate) * agreement
    reordered = _ratio(" ".join(sorted(q_tokens)), " ".join(sorted(c_tokens))) * REORDER_FACTOR * agreement
    # Below 1 whatever the reading, so an exact namesake always outranks a near one.
    return min(max(whole, reordered, _partial_similarity(q_tokens, c_tokens, pairs)), 0.99)


def _paired_words(q_tokens: list[str], c_tokens: list[str]) -> list[tuple[str, str, float]]:
    """Each query word with its closest free word of the candidate; whole words choose before initials."""
    free, pairs = list(c_tokens), []
    for token in sorted(q_tokens, key=len, reverse=True):
        if not free:
            break
        best = max(free, key=lambda c: _token_similarity(token, c))
        pairs.append((token, best, _token_similarity(token, best)))
        free.remove(best)
    return pairs


def _partial_similarity(q_tokens: list[str], c_tokens: list[str], pairs: list[tuple[str, str, float]]) -> float:
    """A name with the first name missing or given as an initial; 0 unless the surname is there."""
    initials = sum(1 for t in q_tokens if len(t) == 1)
    if not c_tokens or len(q_tokens) > len(c_tokens) or (len(q_tokens) == len(c_tokens) and not initials):
        return 0.0
    surname = c_tokens[-1]
    if not any(word == surname and len(token) > 1 and sim >= SURNAME_SIMILARITY for token, word, sim in pairs):
        return 0.0
    factor = INITIAL_FACTOR if initials else 1.0
    if len(q_tokens) < len(c_tokens):
        factor *= MISSING_NAME_FACTOR
    return sum(sim for _, _, sim in pairs) / len(q_tokens) * factor


def _token_similarity(token: str, candidate: str) -> float:
    if len(token) == 1:
        return 1.0 if candidate.startswith(token) else 0.0
    return _ratio(token, candidate)


def prefix_similarity(query: str, candidate: str) -> float:
    """Search-as-you-type: every typed word starts a different word of the name ("emi car" -> Emily Carter)."""
    free = candidate.split()
    for token in query.split():
        word = next((w for w in free if w.startswith(token)), None)
        if word is None:
            return 0.0
        free.remove(word)
    typed = len(query.replace(" ", ""))
    return 0.6 + 0.39 * typed / max(len(candidate.replace(" ", "")), 1)


# --- SQL pre-filters ----------------------------------------------------------------------------


def _name_stems(normalized: str) -> list[str]:
    return [token[:STEM_LENGTH] for token in normalized.split() if len(token) > 1]


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _starts_a_word(stem: str, sqlite: bool) -> ColumnElement[bool]:
    """A word of the name starts with `stem` (letters and digits only, as normalize_name leaves them).

    Written for the cheapest scan on each: SQLite's LIKE ignores (ASCII) case, and two LIKEs beat one
    on a concatenation; on PostgreSQL lower() is the cost, so it runs once per stem.
    """
    if sqlite:
        return or_(Customer.name.like(f"{stem}%"), Customer.name.like(f"% {stem}%"))
    return func.lower(literal(" ") + Customer.name).like(f"% {stem}%")


def _customers_named_like(normalized: str, sqlite: bool) -> Select[Customer] | None:
    """Customers with a word starting like one of the query's, likeliest first; None if no words to go on.

    Common first names match thousands of rows, so which `MAX_ROWS` are kept matters: a row earns a
    point for each query word whose whole, first 4, 3 or 2 letters start one of its words, so
    "Paul Poorter" keeps Paul Porter ahead of every other Paul.
    """
    stems = _name_stems(normalized)
    if not stems:
        return None
    prefixes = [token[:n] for token in normalized.split() for n in {len(token), 4, 3, 2} if 1 < n <= len(token)]
    hits = [case((_starts_a_word(prefix, sqlite), 1), else_=0) for prefix in sorted(prefixes)]
    likeness = sum(hits[1:], start=hits[0])
    return (
        select(Customer)
        .where(or_(*(_starts_a_word(stem, sqlite) for stem in dict.fromkeys(stems))))
        .order_by(likeness.desc(), Customer.id)
        .limit(MAX_ROWS)
    )


def _phone_spellings(text: str) -> set[str]:
    """The usual ways to write this number, so an exact match can use the phone index whatever the storage."""
    digits = re.sub(r"\D", "", text)
    spellings = {text.strip(), digits, "+" + digits}
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        n = digits[-10:]
        area, exchange, line = n[:3], n[3:6], n[6:]
        spellings |= {
            n, "1" + n, "+1" + n, f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}", f"{area} {exchange} {line}", f"+1 {area} {exchange} {line}",
            f"+1 ({area}) {exchange}-{line}", f"+1-{area}-{exchange}-{line}", f"1-{area}-{exchange}-{line}",
            f"+1 {area}-{exchange}-{line}", f"1 ({area}) {exchange}-{line}",
        }  # fmt: skip
    return spellings


async def _by_email(session: AsyncSession, email: str) -> list[Customer]:
    wanted = normalize_email(email)
    if "@" not in wanted:
        return []
    # The index answers when the address is stored as given or in lower case, as it usually is;
    # only when it finds nobody does a case-insensitive comparison read the whole column.
    for condition in (Customer.email.in_({email.strip(), wanted}), func.lower(Customer.email) == wanted):
        hits = list(await session.scalars(select(Customer).where(condition).order_by(Customer.id).limit(MAX_ROWS)))
        if hits:
            return hits
    return []


async def _by_phone(session: AsyncSession, phone: str) -> list[Customer]:
    key = phone_key(phone)
    if len(key) < 5:
        return []
    query = select(Customer).where(Customer.phone.in_(_phone_spellings(phone))).order_by(Customer.id).limit(MAX_ROWS)
    return [c for c in await session.scalars(query) if c.phone and phone_key(c.phone) == key]


async def _by_name(session: AsyncSession, normalized: str) -> list[tuple[float, Customer]]:
    """Customers scored against the name, best first; ties by id so every run agrees."""
    query = _customers_named_like(normalized, _is_sqlite(session))
    if query is None:
        return []
    scored = [(name_similarity(normalized, normalize_name(c.name)), c) for c in await session.scalars(query)]
    return _ranked(scored)


def _ranked(scored: Iterable[tuple[float, Customer]]) -> list[tuple[float, Customer]]:
    return sorted(scored, key=lambda sc: (-sc[0], sc[1].id))


def _match(customer: Customer, score: float) -> CustomerMatch:
    return CustomerMatch(
        id=customer.id, name=customer.name, email=customer.email, phone=customer.phone,
        status=customer.status, score=round(score, 3),
    )  # fmt: skip


# --- the caller ---------------------------------------------------------------------------------


async def resolve_caller(
    session: AsyncSession, *, name: str | None, email: str | None, phone: str | None
) -> CallerResolution:
    """Who is calling: an exact email, then an exact phone, then the name (see the module docstring)."""
    name = (name or "").strip()
    if not phone and name and not _has_letters(name):
        phone = name  # a phone caller's "name" is often just the number
    normalized = normalize_name(name) if _has_letters(name) else ""
    for find, contact in ((_by_email, email), (_by_phone, phone)):
        hits = await find(session, contact) if contact else []
        if len(hits) == 1:
            return await _matched(session, hits[0].id)
        if hits:  # a shared address or number: let the name choose among its owners
            return await _decide(session, _ranked((_contact_score(normalized, c), c) for c in hits), shared=True)
    if not normalized:
        return CallerResolution(status="unknown")
    return await _decide(session, await _by_name(session, normalized))


def _contact_score(normalized: str, customer: Customer) -> float:
    """Among the owners of a shared email or number, the name ranks them; with no name they tie."""
    return name_similarity(normalized, normalize_name(customer.name)) if normalized else 1.0


async def _decide(
    session: AsyncSession, scored: Sequence[tuple[float, Customer]], shared: bool = False
) -> CallerResolution:
    """Scores into a decision: a clear winner, a short list, or nobody (shared: all have the caller's contact)."""
    if not scored:
        return CallerResolution(status="unknown")
    best = scored[0][0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if (best == 1.0 and runner_up < 1.0) or (best >= MATCH_SCORE and best - runner_up >= MATCH_LEAD):
        return await _matched(session, scored[0][1].id)
    if best == 1.0:  # namesakes: only the exact ones are candidates
        shortlist = [(s, c) for s, c in scored if s == 1.0]
    elif shared:
        shortlist = list(scored)
    else:
        floor = max(CANDIDATE_SCORE, best - CANDIDATE_BAND)
        shortlist = [(s, c) for s, c in scored if s >= floor]
    if not shortlist:
        return CallerResolution(status="unknown")
    return CallerResolution(status="ambiguous", candidates=[_match(c, s) for s, c in shortlist[:MAX_CANDIDATES]])


async def _matched(session: AsyncSession, customer_id: int) -> CallerResolution:
    context = await customer_context(session, customer_id)
    return CallerResolution(status="matched", customer=context) if context else CallerResolution(status="unknown")


# --- the customer panel -------------------------------------------------------------------------


async def customer_context(session: AsyncSession, customer_id: int) -> CustomerContext | None:
    """The record, its latest orders and its unresolved tickets, newest first; explicit queries, no lazy loads."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return None
    orders = await session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(RECENT_ORDERS)
    )
    tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(OPEN_TICKETS)
    )
    return CustomerContext(
        id=customer.id, name=customer.name, email=customer.email, phone=customer.phone,
        status=customer.status, lifetime_value=customer.lifetime_value,
        recent_orders=[OrderInfo.model_validate(o) for o in orders],
        open_tickets=[TicketInfo.model_validate(t) for t in tickets],
    )  # fmt: skip


# --- the agent's search box ---------------------------------------------------------------------


async def search_customers(session: AsyncSession, query: str, limit: int = 10) -> list[CustomerMatch]:
    """Customers by order number, phone digits, email fragment or name (fuzzy or prefix), best first."""
    text = query.strip()
    if not text:
        return []
    best: dict[int, tuple[float, Customer]] = {}
    for finder in (_search_orders, _search_phones, _search_emails, _search_names):
        for score, customer in await finder(session, text):
            if score >= SEARCH_SCORE and score > best.get(customer.id, (0.0, customer))[0]:
                best[customer.id] = (score, customer)
    ranked = sorted(best.values(), key=lambda sc: (-sc[0], sc[1].name, sc[1].id))
    return [_match(customer, score) for score, customer in ranked[:limit]]


async def _search_orders(session: AsyncSession, text: str) -> list[tuple[float, Customer]]:
    number = text.lstrip("#").strip()
    if not number or " " in number:
        return []
    query = select(Customer).join(Order, Order.customer_id == Customer.id).where(Order.number == number).limit(1)
    return [(1.0, c) for c in await session.scalars(query)]


async def _search_phones(session: AsyncSession, text: str) -> list[tuple[float, Customer]]:
    digits = phone_key(text)
    if _has_letters(text) or len(digits) < 4:
        return []
    # A fragment is found in numbers stored as digits (E.164, as the demo and telephony store them);
    # stripping punctuation from every stored number in SQL would cost ten times the scan.
    query = select(Customer).where(Customer.phone.contains(digits, autoescape=True)).order_by(Customer.id)
    fragments = list(await session.scalars(query.limit(MAX_ROWS)))
    whole = await _by_phone(session, text) if len(digits) == 10 else []  # any storage, through the index
    return [(_fragment_score(digits, phone_key(c.phone or "")), c) for c in fragments + whole]


async def _search_emails(session: AsyncSession, text: str) -> list[tuple[float, Customer]]:
    fragment = normalize_email(text)
    if len(fragment) < 3 or " " in fragment:
        return []
    # SQLite's LIKE already ignores (ASCII) case; lower() on every row would triple the scan's cost there.
    email = Customer.email if _is_sqlite(session) else func.lower(Customer.email)
    query = select(Customer).where(email.contains(fragment, autoescape=True))
    query = query.order_by(Customer.id).limit(MAX_ROWS)
    return [(_fragment_score(fragment, (c.email or "").lower()), c) for c in await session.scalars(query)]


def _fragment_score(fragment: str, whole: str) -> float:
    """1 for the whole value; a part scores more the more of the value it covers, never above a good name hit."""
    return 1.0 if fragment == whole else 0.6 + 0.3 * len(fragment) / max(len(whole), 1)


async def _search_names(session: AsyncSession, text: str) -> list[tuple[float, Customer]]:
    normalized = normalize_name(text) if _has_letters(text) else ""
    query = _customers_named_like(normalized, _is_sqlite(session)) if normalized else None
    if query is None:
        return []
    scored = []
    for customer in await session.scalars(query):
        candidate = normalize_name(customer.name)
        scored.append((max(name_similarity(normalized, candidate), prefix_similarity(normalized, candidate)), customer))
    return scored
