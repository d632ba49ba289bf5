"""The customers REST API on a real server: search, the customer panel, and tickets."""

from __future__ import annotations

import pytest

from tests.harness import RunningServer


async def _agent_token(shop: RunningServer) -> str:
    return await shop.login("agent1")


async def _customer_id(shop: RunningServer, token: str, email: str) -> int:
    async with shop.http(token) as client:
        response = await client.get("/api/customers/search", params={"q": email})
    response.raise_for_status()
    return int(response.json()[0]["id"])


async def test_agent_searches_by_name_email_and_order(shop: RunningServer) -> None:
    async with shop.http(await _agent_token(shop)) as client:
        by_name = await client.get("/api/customers/search", params={"q": "Emilly Carter"})
        by_order = await client.get("/api/customers/search", params={"q": "20417", "limit": 1})
        by_email = await client.get("/api/customers/search", params={"q": "priya.patel@"})
    assert by_name.status_code == 200 and by_name.json()[0]["name"] == "Emily Carter"
    assert by_order.json() == [
        {"id": by_order.json()[0]["id"], "name": "Oliver Bennett", "email": "oliver.bennett@example.net",
         "phone": "+12125550102", "status": "active", "score": 1.0}
    ]  # fmt: skip
    assert by_email.json()[0]["name"] == "Priya Patel"


async def test_customer_routes_need_a_logged_in_agent(shop: RunningServer) -> None:
    async with shop.http() as client:
        search = await client.get("/api/customers/search", params={"q": "carter"})
        panel = await client.get("/api/customers/1")
        ticket = await client.post("/api/customers/1/tickets", json={"subject": "Hi"})
        change = await client.patch("/api/customers/1/tickets/1", json={"status": "closed"})
    assert [r.status_code for r in (search, panel, ticket, change)] == [401, 401, 401, 401]


async def test_panel_of_a_customer_and_404_for_an_unknown_one(shop: RunningServer) -> None:
    token = await _agent_token(shop)
    daniel = await _customer_id(shop, token, "daniel.brooks@example.com")
    async with shop.http(token) as client:
        panel = await client.get(f"/api/customers/{daniel}")
        missing = await client.get("/api/customers/999999")
        missing_ticket = await client.post("/api/customers/999999/tickets", json={"subject": "Hello"})
    assert panel.status_code == 200
    body = panel.json()
    assert (body["name"], body["status"], body["recent_orders"][0]["number"]) == ("Daniel Brooks", "vip", "52210")
    assert [t["priority"] for t in body["open_tickets"]] == ["urgent"]
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such customer"})
    assert missing_ticket.status_code == 404


async def test_ticket_opened_then_closed_leaves_the_open_tickets(shop: RunningServer) -> None:
    token = await _agent_token(shop)
    marcus = await _customer_id(shop, token, "marcus.lee@example.com")
    async with shop.http(token) as client:
        created = await client.post(
            f"/api/customers/{marcus}/tickets",
            json={"subject": "  Unrecognised $49 charge  ", "body": "Annual renewal", "priority": "high"},
        )
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert (ticket["subject"], ticket["status"], ticket["priority"]) == ("Unrecognised $49 charge", "open", "high")
        opened = (await client.get(f"/api/customers/{marcus}")).json()["open_tickets"]
        closed = await client.patch(f"/api/customers/{marcus}/tickets/{ticket['id']}", json={"status": "closed"})
        after = (await client.get(f"/api/customers/{marcus}")).json()["open_tickets"]
    assert [t["id"] for t in opened] == [ticket["id"]]
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["updated_at"] > ticket["updated_at"]
    assert after == []


async def test_ticket_of_another_customer_is_not_found(shop: RunningServer) -> None:
    token = await _agent_token(shop)
    jane = await _customer_id(shop, token, "jane.doe@example.com")
    robert = await _customer_id(shop, token, "robert.nguyen@example.org")
    async with shop.http(token) as client:
        janes_ticket = (await client.get(f"/api/customers/{jane}")).json()["open_tickets"][0]["id"]
        wrong_owner = await client.patch(f"/api/customers/{robert}/tickets/{janes_ticket}", json={"status": "closed"})
        still_open = (await client.get(f"/api/customers/{jane}")).json()["open_tickets"]
    assert (wrong_owner.status_code, wrong_owner.json()) == (404, {"detail": "no such ticket"})
    assert [t["id"] for t in still_open] == [janes_ticket]


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/tickets", {"subject": "   "}),
        ("POST", "/tickets", {"subject": "x" * 257}),
        ("POST", "/tickets", {"subject": "Hi", "priority": "asap"}),
        ("POST", "/tickets", {"subject": "Hi", "body": "x" * 4001}),
        ("PATCH", "/tickets/{ticket}", {"status": "resolved"}),
        ("PATCH", "/tickets/{ticket}", {"subject": ""}),
    ],
)
async def test_invalid_ticket_bodies_are_422(
    shop: RunningServer, method: str, path: str, payload: dict[str, str]
) -> None:
    token = await _agent_token(shop)
    jane = await _customer_id(shop, token, "jane.doe@example.com")
    async with shop.http(token) as client:
        ticket = (await client.get(f"/api/customers/{jane}")).json()["open_tickets"][0]["id"]
        response = await client.request(method, f"/api/customers/{jane}" + path.format(ticket=ticket), json=payload)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("params", [{"q": "x" * 201}, {"q": ""}, {"q": "carter", "limit": 51}, {}])
async def test_invalid_search_is_422(shop: RunningServer, params: dict[str, str | int]) -> None:
    async with shop.http(await _agent_token(shop)) as client:
        response = await client.get("/api/customers/search", params=params)
    assert response.status_code == 422
