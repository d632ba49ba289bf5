"""Bad HTTP input costs no more than a 422: ids beyond the INTEGER columns, lone surrogates, deep nesting."""

from __future__ import annotations

import pytest

from earshot.inputs import UnacceptableJson, parse_json
from tests.harness import RunningServer

BEYOND_INT32 = 2**31  # one past the largest INTEGER (PostgreSQL)
HUGE = 2**63  # one past the largest BIGINT (SQLite's INTEGER)
LONE_SURROGATE_CALL = b'{"name": "Pat \\ud800"}'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/customers/{HUGE}", None),
        ("GET", f"/api/customers/{BEYOND_INT32}", None),
        ("GET", f"/api/customers/{-HUGE - 1}", None),
        ("PATCH", f"/api/customers/1/tickets/{BEYOND_INT32}", {"status": "closed"}),
        ("POST", f"/api/customers/{HUGE}/tickets", {"subject": "s", "body": "b", "priority": "normal"}),
        ("PATCH", f"/api/customers/1/tickets/{HUGE}", {"status": "closed"}),
        ("PATCH", f"/api/users/{HUGE}", {"display_name": "x"}),
        ("GET", f"/api/calls/abc/events?after_seq={HUGE}", None),
        ("POST", "/api/assist/suggestions", {"utterance": "where is my order", "customer_id": HUGE}),
    ],
)
async def test_ids_beyond_the_database_columns_are_unprocessable(
    server: RunningServer, method: str, path: str, body: dict[str, object] | None
) -> None:
    async with server.http(await server.login("admin")) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/calls", LONE_SURROGATE_CALL),
        ("/api/auth/login", b'{"username": "admin", "password": "\\udfff-demo-pass"}'),
        ("/api/auth/login", b'{"username": "\\ud800", "password": "whatever-pass"}'),
    ],
)
async def test_lone_surrogate_in_a_body_is_unprocessable(server: RunningServer, path: str, raw: bytes) -> None:
    async with server.http() as http:
        response = await http.post(path, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert (await http.get("/api/health")).json()["status"] == "ok"


async def test_a_surrogate_pair_is_ordinary_text(server: RunningServer) -> None:
    async with server.http() as http:
        response = await http.post(
            "/api/calls", content=b'{"name": "Pat \\ud83d\\ude00"}', headers={"content-type": "application/json"}
        )
    assert response.status_code == 201, response.text


async def test_deeply_nested_body_is_unprocessable(server: RunningServer) -> None:
    async with server.http() as http:
        response = await http.post("/api/calls", content=b"[" * 100_000, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert (await http.get("/api/health")).status_code == 200


def test_parse_json_refuses_depth_and_surrogates_but_not_pairs() -> None:
    with pytest.raises(UnacceptableJson):
        parse_json("[" * 50 + "]" * 50)
    with pytest.raises(UnacceptableJson):
        parse_json("[" * 100_000)
    with pytest.raises(UnacceptableJson):
        parse_json('{"\\udc00": 1}')
    assert parse_json('{"a": ["\\ud83d\\ude00"]}') == {"a": ["\U0001f600"]}


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        ("POST", "/api/calls", b'{"name": "Pat \\u0000"}'),
        ("GET", "/api/customers/search?q=a%00b", None),
        ("GET", "/api/calls/abc%00def", None),
        ("GET", "/api/calls/abc%00/events", None),
    ],
)
async def test_nul_characters_are_unprocessable(server: RunningServer, method: str, path: str, raw: bytes | None) -> None:
    """PostgreSQL cannot store NUL in text: refused at the edge on both databases alike."""
    async with server.http(await server.login("admin")) as http:
        response = await http.request(method, path, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert (await http.get("/api/health")).json()["status"] == "ok"


@pytest.mark.parametrize("path", [f"/api/calls?agent_id={HUGE}", f"/api/calls?customer_id={-HUGE}", f"/api/history?agent_id={BEYOND_INT32}"])
async def test_history_filters_beyond_the_database_columns_are_unprocessable(server: RunningServer, path: str) -> None:
    async with server.http(await server.login("supervisor")) as http:
        response = await http.get(path)
    assert response.status_code == 422, response.text
