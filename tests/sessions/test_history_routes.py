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


async def test_the_log_is_for_supervisors_and_admins_agents_read_their_calls_through_the_export(
    shop: RunningServer, two_calls: dict[str, str]
) -> None:
    call_id = two_calls["agent1"]
    assert (await get(shop, "agent1", f"/api/calls/{call_id}/events")).status_code == 403
    for who in ("supervisor", "admin"):
        response = await get(shop, who, f"/api/calls/{call_id}/events")
        assert response.status_code == 200 and response.json()[0]["type"] == "call_queued", who


async def test_exports_and_the_summary_hold_card_numbers_masked(shop: RunningServer) -> None:
    agent = await shop.agent("agent1")
    call_id = await finished_call(shop, agent, "Emily Carter", "Please charge my card 4111 1111 1111 1111 again.")
    summary = await summary_of(shop, call_id)
    files = [(await get(shop, "agent1", f"/api/calls/{call_id}/export", format=fmt)).text for fmt in ("json", "txt", "vtt", "srt")]
    csv_text = (await get(shop, "supervisor", "/api/history.csv")).text
    for body in [*files, csv_text, json.dumps(summary)]:
        assert "4111 1111 1111 1111" not in body and "1111 1111" not in body
    assert "1111" in files[1]  # masked as the card's last digits, not dropped
