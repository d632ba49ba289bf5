"""What a playbook response may say about this customer: values for its placeholders, and flags.

A response template names placeholders (`{order_number}`, `{days_late}`) and conditions
(`when: [order_late]`); this module works both out from the customer record and what was
said: which order the customer means (by number, amount, product or, failing those, the
one the action is about), how late it is, whether it is still within the refund window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from earshot.assist.spoken import digit_sequences, email_addresses, money_amounts
from earshot.assist.text import STOPWORDS, stem, words
from earshot.assist.types import Action, SuggestionRequest
from earshot.customers.schemas import CustomerContext, OrderInfo, TicketInfo

RETURN_WINDOW_DAYS = 30
WARRANTY_DAYS = 365
VIP_WARRANTY_DAYS = 730
HISTORY_TURNS_SEARCHED = 6  # how far back an order number or product mention still counts

# Every placeholder and flag a playbook may use; the loader rejects any other name.
PLACEHOLDERS = frozenset({
    "first_name", "customer_name", "customer_status", "lifetime_value", "order_number", "order_items",
    "order_total", "order_status", "order_placed", "order_expected", "order_delivered", "order_carrier",
    "order_tracking", "days_late", "days_since_delivery", "amount", "ticket_id", "ticket_subject",
    "ticket_status", "open_ticket_count", "article_title",
})  # fmt: skip
FLAGS = frozenset({
    "identified", "vip", "order", "order_mentioned", "order_processing", "order_shipped", "order_delivered",
    "order_returned", "order_cancelled", "order_late", "tracking", "within_return_window", "within_warranty",
    "amount_mentioned", "amount_matches_order", "open_ticket", "article", "details_match", "details_mismatch",
})  # fmt: skip

# Orders each action is most likely about, when the customer does not say which.
_STATUS_PREFERENCE: dict[Action, tuple[str, ...]] = {
    Action.track_order: ("shipped", "processing"),
    Action.offer_refund: ("delivered", "returned"),
    Action.offer_replacement: ("delivered", "shipped"),
    Action.troubleshoot: ("delivered",),
}
_ITEM_NOISE = frozenset({"x1", "x2", "x3", "plan", "annual", "monthly"})


@dataclass
class Facts:
    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def gather_facts(request: SuggestionRequest, action: Action, today: date, article_title: str | None = None) -> Facts:
    facts = Facts()
    said = [request.utterance] + [t.text for t in reversed(request.history[-HISTORY_TURNS_SEARCHED:])]
    amounts = money_amounts(request.utterance)
    if amounts:
        facts.flags.add("amount_mentioned")
        facts.values["amount"] = money(amounts[0])
    if article_title:
        facts.flags.add("article")
        facts.values["article_title"] = article_title
    customer = request.customer
    if customer is None:
        return facts
    _customer_facts(facts, customer)
    _identity_facts(facts, customer, request.utterance)
    order, mentioned = pick_order(customer.recent_orders, said, amounts, action)
    if order is not None:
        _order_facts(facts, order, customer, today)
        if mentioned:
            facts.flags.add("order_mentioned")
        if any(abs(order.total - a) < 0.005 for a in amounts):
            facts.flags.add("amount_matches_order")
    ticket = pick_ticket(customer.open_tickets, said, order)
    if ticket is not None:
        facts.flags.add("open_ticket")
        facts.values.update(ticket_id=str(ticket.id), ticket_subject=ticket.subject, ticket_status=ticket.status)
    return facts


def _customer_facts(facts: Facts, customer: CustomerContext) -> None:
    facts.flags.add("identified")
    if customer.status == "vip":
        facts.flags.add("vip")
    facts.values.update(
        first_name=customer.name.split()[0],
        customer_name=customer.name,
        customer_status=customer.status,
        lifetime_value=money(customer.lifetime_value),
        open_ticket_count=str(len(customer.open_tickets)),
    )


def _identity_facts(facts: Facts, customer: CustomerContext, utterance: str) -> None:
    """Do the details the customer just gave (email, order number, phone) fit the record on screen?"""
    given_emails = email_addresses(utterance)
    numbers = digit_sequences(utterance, shortest=4)
    own = {o.number for o in customer.recent_orders}
    phone = "".join(ch for ch in customer.phone or "" if ch.isdigit())
    matches = [e for e in given_emails if e == (customer.email or "").lower()]
    matches += [n for n in numbers if n in own or (len(n) >= 7 and phone.endswith(n))]
    if matches:
        facts.flags.add("details_match")
    elif given_emails or any(len(n) >= 5 for n in numbers):
        facts.flags.add("details_mismatch")


def _order_facts(facts: Facts, order: OrderInfo, customer: CustomerContext, today: date) -> None:
    facts.flags.update({"order", f"order_{order.status}"})
    placed = order.placed_at.date()
    facts.values.update(
        order_number=order.number,
        order_items=_items(order.items),
        order_total=money(order.total),
        order_status=order.status,
        order_placed=day(placed),
    )
    if order.carrier and order.tracking_number:
        facts.flags.add("tracking")
        facts.values.update(order_carrier=order.carrier, order_tracking=order.tracking_number)
    expected = order.expected_delivery
    if expected is not None and order.status in ("shipped", "processing"):
        facts.values["order_expected"] = day(expected)
        if expected < today:
            facts.flags.add("order_late")
            facts.values["days_late"] = str((today - expected).days)
    if order.status == "delivered":
        delivered = expected or placed
        since = (today - delivered).days
        facts.values.update(order_delivered=day(delivered), days_since_delivery=str(since))
        if since <= RETURN_WINDOW_DAYS:
            facts.flags.add("within_return_window")
    warranty = VIP_WARRANTY_DAYS if customer.status == "vip" else WARRANTY_DAYS
    if order.status in ("delivered", "shipped") and (today - placed).days <= warranty:
        facts.flags.add("within_warranty")


def pick_order(
    orders: list[OrderInfo], said: list[str], amounts: list[float], action: Action
) -> tuple[OrderInfo | None, bool]:
    """The order the customer means, and whether they said so (number, amount or product)."""
    if not orders:
        return None, False
    by_number = {o.number: o for o in orders}
    for text in said:  # newest first: the latest mention wins
        for digits in digit_sequences(text):
            if digits in by_number:
                return by_number[digits], True
    for amount in amounts:
        for order in orders:
            if abs(order.total - amount) < 0.005:
                return order, True
    for text in said:
        mentioned = _content_stems(text)
        hits = [o for o in orders if mentioned & _content_stems(o.items)]
        if hits:
            return hits[0], True
    preferred = _STATUS_PREFERENCE.get(action, ())
    for status in preferred:
        for order in orders:
            if order.status == status:
                return order, False
    return orders[0], False


def pick_ticket(tickets: list[TicketInfo], said: list[str], order: OrderInfo | None) -> TicketInfo | None:
    """The open ticket about this order, else the one sharing words with what was said, else the newest."""
    if not tickets:
        return None
    if order is not None:
        for ticket in tickets:
            if order.number in ticket.subject:
                return ticket
    spoken = set().union(*(_content_stems(text) for text in said))
    best = max(tickets, key=lambda t: len(spoken & _content_stems(t.subject)))
    return best if spoken & _content_stems(best.subject) else tickets[0]


def _content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and w not in _ITEM_NOISE and not w.isdigit()}


def _items(items: str) -> str:
    """ "Wireless headphones x1, Smart thermostat x2" -> "Wireless headphones, 2 × Smart thermostat"."""
    parts = []
    for part in items.split(","):
        name, _, count = part.strip().rpartition(" x")
        if name and count.isdigit():
            parts.append(name if count == "1" else f"{count} × {name}")
        else:
            parts.append(part.strip())
    return ", ".join(parts)


def money(amount: float) -> str:
    return f"${amount:,.2f}"


def day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"
