"""History, export and the post-call summary on a live server: who sees which calls, and what the files hold."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.harness import RunningServer
from tests.sessions.live import COMPLAINT, finished_call, logged, summary_of


@pytest.fixture
async def two_calls(shop: RunningServer) -> dict[str, str]:
    """One call taken by agent1 (a complaint about a parcel), one by agent2 (a password reset)."""
    agent1 = await shop.agent("agent1")
    first = await finished_call(shop, agent1, "Oliver Bennett", COMPLAINT)
    await agent1.send({"type": "set_availability", "available": False})
    agent2 = await shop.agent("agent2")
    second = await finished_call(shop, agent2, "Dana Wells", "I forgot my password and cannot log in.")
    return {"agent1": first, "agent2": second}


async def get(shop: RunningServer, who: str | None, path: str, **params: Any) -> Any:
    token = await shop.login(who) if who else None
    async with shop.http(token) as http:
        return await http.get(path, params=params)


async def test_the_summary_is_logged_when_the_call_ends_and_reaches_the_agent(shop: RunningServer) -> None:
    agent = await shop.agent("agent1")
    call_id = await finished_call(shop, agent, "Oliver Bennett", COMPLAINT)
    summary = await summary_of(shop, call_id)
    assert summary["provider"] == "offline"
    assert "20417" in summary["reason"] and "ended by the agent" in summary["outcome"]
    assert summary["notes"].startswith("Reason: ")
    types = [e["type"] for e in await logged(shop, call_id)]
    assert types.index("call_summary") > types.index("call_ended")


async def test_agents_see_their_own_calls_supervisors_and_admins_every_call(
    shop: RunningServer, two_calls: dict[str, str]
) -> None:
    for who, expected in [("agent1", {two_calls["agent1"]}), ("agent2", {two_calls["agent2"]}),
                          ("supervisor", set(two_calls.values())), ("admin", set(two_calls.values()))]:  # fmt: skip
        response = await get(shop, who, "/api/history")
        assert response.status_code == 200, response.text
        assert {item["call_id"] for item in response.json()["items"]} == expected, who


@pytest.mark.parametrize(
    "path", ["/api/history", "/api/history.csv", "/api/calls", "/api/calls/{call}/export", "/api/calls/{call}/events"]
)
async def test_nobody_signed_in_and_no_customer_sees_history_or_exports(
    shop: RunningServer, two_calls: dict[str, str], path: str
) -> None:
    call_id = two_calls["agent1"]
    assert (await get(shop, None, path.format(call=call_id))).status_code == 401
    # The customer's call token is no login.
    async with shop.http() as http:
        _, token = await shop.start_call("Nosy Customer")
        http.headers["Authorization"] = f"Bearer {token}"
        assert (await http.get(path.format(call=call_id))).status_code == 401


async def test_an_agent_cannot_export_a_call_they_did_not_take(shop: RunningServer, two_calls: dict[str, str]) -> None:
    other = two_calls["agent2"]
    for fmt in ("json", "txt", "vtt", "srt"):
        assert (await get(shop, "agent1", f"/api/calls/{other}/export", format=fmt)).status_code == 404
        assert (await get(shop, "agent2", f"/api/calls/{other}/export", format=fmt)).status_code == 200
        assert (await get(shop, "supervisor", f"/api/calls/{other}/export", format=fmt)).status_code == 200
    rows = list(csv.DictReader(io.StringIO((await get(shop, "agent1", "/api/history.csv")).text)))
    assert [row["call_id"] for row in rows] == [two_calls["agent1"]]


async def test_history_filters_and_text_search(shop: RunningServer, two_calls: dict[str, str]) -> None:
    async def ids(**params: Any) -> list[str]:
        response = await get(shop, "supervisor", "/api/history", **params)
        assert response.status_code == 200, response.text
        return [item["call_id"] for item in response.json()["items"]]

    parcel, password = two_calls["agent1"], two_calls["agent2"]
    assert await ids(q="parcel upset") == [parcel]
    assert await ids(q="parcels upsetting") == [parcel]  # stemmed alike on SQLite and PostgreSQL
    assert await ids(q="trace parcel") == [password, parcel]  # the agent said it on both
    assert await ids(q="password") == [password]
    assert await ids(q="upset password") == []
    assert await ids(q='"; DROP TABLE calls; --') == []
    assert await ids(customer="benn") == [parcel]
    assert await ids(disposition="follow_up", end_reason="hangup") == [password, parcel]
    assert await ids(sort="oldest") == [parcel, password]
    assert await ids(channel="phone") == []
    page = (await get(shop, "supervisor", "/api/history", limit=1)).json()
    assert [i["call_id"] for i in page["items"]] == [password] and page["next_cursor"]
    second = (await get(shop, "supervisor", "/api/history", limit=1, cursor=page["next_cursor"])).json()
    assert [i["call_id"] for i in second["items"]] == [parcel] and second["next_cursor"] is None
    assert (await get(shop, "supervisor", "/api/history", cursor="garbage")).status_code == 400
    assert (await get(shop, "supervisor", "/api/history", nonsense="1")).status_code == 422
    item = page["items"][0]
    assert item["summary"].startswith("Reason: ") and item["had_alert"] in (True, False)


async def test_exports_carry_the_log_the_transcript_and_captions(shop: RunningServer, two_calls: dict[str, str]) -> None:
    call_id = two_calls["agent1"]
    log = await logged(shop, call_id)
    as_json = await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="json")
    assert json.loads(as_json.text) == log
    assert as_json.text == (await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="json")).text
    text = (await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="txt")).text
    assert f"Customer (chat): {COMPLAINT}" in text and "Summary:\nReason: " in text
    vtt = await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT\n\n") and f"<v Customer>{COMPLAINT}" in vtt.text
    srt = (await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="srt")).text
    assert srt.startswith("1\n00:00:") and " --> " in srt and f"Customer: {COMPLAINT}" in srt
    assert (await get(shop, "supervisor", f"/api/calls/{call_id}/export", format="docx")).status_code == 422


async def test_the_calls_list_takes_the_same_filters_and_a_cursor(shop: RunningServer, two_calls: dict[str, str]) -> None:
    first = await get(shop, "supervisor", "/api/calls", limit=1)
    assert [c["call_id"] for c in first.json()] == [two_calls["agent2"]]
    second = await get(shop, "supervisor", "/api/calls", limit=1, cursor=first.headers["X-Next-Cursor"])
    assert [c["call_id"] for c in second.json()] == [two_calls["agent1"]] and "X-Next-Cursor" not in second.headers
    assert [c["call_id"] for c in (await get(shop, "supervisor", "/api/calls", q="upset", status="ended")).json()] == [
        two_calls["agent1"]
    ]
    assert (await get(shop, "agent1", "/api/calls")).status_code == 403


async def test_the_log_is_read_as_the_export_is_agents_their_own_calls_staff_any(
    shop: RunningServer, two_calls: dict[str, str]
) -> None:
    mine, other = two_calls["agent1"], two_calls["agent2"]
    assert (await get(shop, "agent1", f"/api/calls/{other}/events")).status_code == 404
    assert (await get(shop, "agent1", f"/api/calls/{other}/events", limit=5)).status_code == 404
    assert (await get(shop, "agent1", f"/api/calls/{'0' * 32}/events")).status_code == 404
    for who in ("agent1", "supervisor", "admin"):
        response = await get(shop, who, f"/api/calls/{mine}/events")
        assert response.status_code == 200 and response.json()[0]["type"] == "call_queued", who
        assert response.json() == await logged(shop, mine), who


async def test_the_log_reads_in_pages_in_seq_order_that_add_up_to_the_whole(
    shop: RunningServer, two_calls: dict[str, str]
) -> None:
    call_id = two_calls["agent1"]
    whole = await logged(shop, call_id)
    assert len(whole) > 7
    pages: list[list[dict[str, Any]]] = []
    after: str | None = "0"
    while after is not None:
        response = await get(shop, "agent1", f"/api/calls/{call_id}/events", after_seq=after, limit=3)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        after = response.headers.get("X-Next-After-Seq")
    assert [len(page) for page in pages[:-1]] == [3] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 3
    assert [event for page in pages for event in page] == whole
    assert [event["seq"] for event in whole] == list(range(1, len(whole) + 1))
    # A page that reaches the end exactly says no more; one past the end is empty.
    last = await get(shop, "supervisor", f"/api/calls/{call_id}/events", after_seq=len(whole) - 2, limit=2)
    assert [e["seq"] for e in last.json()] == [len(whole) - 1, len(whole)] and "X-Next-After-Seq" not in last.headers
    assert (await get(shop, "supervisor", f"/api/calls/{call_id}/events", after_seq=len(whole), limit=2)).json() == []
    biggest = await get(shop, "supervisor", f"/api/calls/{call_id}/events", limit=1000)
    assert biggest.json() == whole and "X-Next-After-Seq" not in biggest.headers


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": ""}, "limit"),
     ({"after_seq": -1}, "after_seq"), ({"after_seq": "first"}, "after_seq"), ({"after_seq": 2**31}, "after_seq")],
)  # fmt: skip
async def test_a_bad_page_of_the_log_is_refused_with_the_field_named(
    shop: RunningServer, two_calls: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await get(shop, "agent1", f"/api/calls/{two_calls['agent1']}/events", **params)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


async def test_exports_and_the_summary_hold_card_numbers_masked(shop: RunningServer) -> None:
    agent = await shop.agent("agent1")
    call_id = await finished_call(shop, agent, "Emily Carter", "Please charge my card 4111 1111 1111 1111 again.")
    summary = await summary_of(shop, call_id)
    files = [(await get(shop, "agent1", f"/api/calls/{call_id}/export", format=fmt)).text for fmt in ("json", "txt", "vtt", "srt")]
    csv_text = (await get(shop, "supervisor", "/api/history.csv")).text
    for body in [*files, csv_text, json.dumps(summary)]:
        assert "4111 1111 1111 1111" not in body and "1111 1111" not in body
    assert "1111" in files[1]  # masked as the card's last digits, not dropped
