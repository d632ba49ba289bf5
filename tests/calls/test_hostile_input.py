"""Hostile WebSocket input costs no more than an `error` answer: the socket and the call survive."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from earshot.config import Settings
from tests.harness import RunningServer, WsClient

HUGE = 2**63


async def answered_call(server: RunningServer) -> tuple[str, WsClient, WsClient]:
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer()
    await agent.expect("call_offer")
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    return call_id, agent, customer


async def still_serving(client: WsClient) -> None:
    await client.send({"type": "ping"})
    await client.expect("pong")


@pytest.mark.parametrize("depth", [100, 10_000, 30_000])
async def test_deeply_nested_json_is_malformed_and_socket_survives(server: RunningServer, depth: int) -> None:
    _call_id, _token, customer = await server.customer()
    await customer.send("[" * depth + "]" * depth)
    assert (await customer.expect("error"))["code"] == "malformed"
    await customer.send('{"type": "chat", "text": ' + "[" * depth + "]" * depth + "}")
    assert (await customer.expect("error"))["code"] == "malformed"
    await still_serving(customer)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00", "\\u0000"])
async def test_unstorable_text_in_chat_is_refused_and_call_goes_on(server: RunningServer, escape: str) -> None:
    """A lone surrogate cannot be encoded, and PostgreSQL cannot store NUL: both are refused up front."""
    _call_id, agent, customer = await answered_call(server)
    await customer.send('{"type": "chat", "text": "hi ' + escape + '"}')
    assert (await customer.expect("error"))["code"] == "malformed"
    await customer.send({"type": "chat", "text": "still here \U0001f600"})
    assert (await agent.expect("chat"))["text"] == "still here \U0001f600"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "resume", "last_seq": HUGE},
        {"type": "resume", "last_seq": 2**31},
        {"type": "attach_customer", "customer_id": 2**31},
        {"type": "attach_customer", "customer_id": HUGE},
        {"type": "attach_customer", "customer_id": -HUGE - 1},
    ],
)
async def test_ids_beyond_the_database_columns_are_invalid_not_internal(server: RunningServer, message: dict[str, object]) -> None:
    _call_id, agent, _customer = await answered_call(server)
    await agent.send(message)
    assert (await agent.expect("error"))["code"] == "invalid"
    await still_serving(agent)


async def test_huge_last_seq_on_connect_is_refused_cleanly(server: RunningServer) -> None:
    call_id, token = await server.start_call()
    # An out-of-range parameter is refused at the handshake (403), before anything is read.
    with pytest.raises(InvalidStatus) as refused:
        await server.call_ws(call_id, token, last_seq=HUGE)
    assert refused.value.response.status_code == 403
    customer = await server.call_ws(call_id, token, last_seq=0)
    assert (await customer.recv())["type"] == "hello"
    async with server.http() as http:
        assert (await http.get("/api/health")).status_code == 200


async def test_text_frame_over_the_limit_but_under_the_frame_size_gets_too_large(server: RunningServer) -> None:
    _call_id, _token, customer = await server.customer()
    await customer.send(json.dumps({"type": "chat", "text": "x" * 300 * 1024}))
    assert (await customer.expect("error"))["code"] == "too_large"
    await still_serving(customer)


async def test_ping_flood_from_a_reading_client_does_not_close_it(server: RunningServer) -> None:
    _call_id, _token, customer = await server.customer()
    received: list[dict[str, object]] = []

    async def read() -> None:
        async for raw in customer.conn:
            received.append(json.loads(raw))

    reader = asyncio.create_task(read())
    for _ in range(2000):
        await customer.conn.send('{"type": "ping"}')
    # The flood is answered (pongs, then rate_limited errors) without closing the socket;
    # once the budget refills, a ping gets its pong again.
    for _ in range(100):
        await asyncio.sleep(0.1)
        assert not reader.done(), f"socket closed: {customer.conn.close_code}"
        before = sum(1 for m in received if m["type"] == "pong")
        await customer.conn.send('{"type": "ping"}')
        await asyncio.sleep(0.1)
        if sum(1 for m in received if m["type"] == "pong") > before and received[-1]["type"] == "pong":
            break
    else:
        raise AssertionError(f"no pong after the flood; last: {received[-3:]}")
    assert customer.conn.close_code is None
    reader.cancel()


@pytest.fixture
def strict_admission(server_settings: Settings) -> Settings:
    server_settings.call_start_burst_per_address = 5
    server_settings.call_starts_per_minute_per_address = 6
    return server_settings


async def test_call_flood_from_one_address_gets_429_with_retry_after(
    strict_admission: Settings, server: RunningServer
) -> None:
    async with server.http() as http:
        answers = await asyncio.gather(*(http.post("/api/calls", json={"name": f"Flood {i}"}) for i in range(30)))
        statuses = [r.status_code for r in answers]
        assert statuses.count(201) == 5, statuses
        refused = [r for r in answers if r.status_code == 429]
        assert len(refused) == 25
        assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)
        assert (await http.get("/api/health")).status_code == 200


@pytest.fixture
def overall_admission(server_settings: Settings) -> Settings:
    server_settings.call_start_burst = 3
    server_settings.call_starts_per_second = 0.1
    return server_settings


async def test_call_flood_overall_gets_429(overall_admission: Settings, server: RunningServer) -> None:
    async with server.http() as http:
        statuses = [(await http.post("/api/calls", json={"name": f"C{i}"})).status_code for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]


@pytest.fixture
def short_queue(server_settings: Settings) -> Settings:
    server_settings.max_waiting_calls = 2
    return server_settings


async def test_new_calls_are_told_busy_when_the_queue_is_full(short_queue: Settings, server: RunningServer) -> None:
    await server.start_call("First")
    await server.start_call("Second")
    async with server.http() as http:
        busy = await http.post("/api/calls", json={"name": "Third"})
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0, busy.text


async def _phone_start(server: RunningServer, params: dict[str, str]) -> int | None:
    """Open a Twilio media stream and send `start`; the close code, or None if still open after a second."""
    async with connect(server.ws_url + "/ws/telephony/twilio") as phone:
        await phone.send(json.dumps({"event": "connected"}))
        await phone.send(json.dumps({"event": "start", "start": {"customParameters": params}}))
        try:
            await asyncio.wait_for(phone.recv(), 1.0)
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
    return None


@pytest.fixture
def no_loopback_phones(server_settings: Settings) -> Settings:
    server_settings.telephony_allow_loopback = False
    return server_settings


async def test_phone_stream_from_this_machine_without_token_is_refused_by_default(
    no_loopback_phones: Settings, server: RunningServer
) -> None:
    assert await _phone_start(server, {"name": "Pat"}) == 4401


async def test_phone_stream_from_this_machine_is_accepted_when_the_setting_allows(server: RunningServer) -> None:
    assert server.settings.telephony_allow_loopback
    assert await _phone_start(server, {"name": "Pat"}) is None


async def test_garbage_phone_frames_do_not_break_the_stream(server: RunningServer) -> None:
    async with connect(server.ws_url + "/ws/telephony/twilio") as phone:
        for frame in ("[" * 50_000, "[1, 2]", '"x"', '{"event": "start", "start": {"customParameters": {"name": "\\ud800"}}}'):
            await phone.send(frame)
        await phone.send(json.dumps({"event": "start", "start": {"customParameters": {"name": "Pat"}}}))
        await phone.send(json.dumps({"event": "media", "media": ["not", "a", "dict"]}))
        await phone.send(json.dumps({"event": "media", "media": {"payload": 12}}))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(phone.recv(), 1.0)
    async with server.http(await server.login("supervisor")) as http:
        calls = (await http.get("/api/calls")).json()
    assert [c["customer_name"] for c in calls] == ["Pat"]


@pytest.fixture
def slow_refill(server_settings: Settings) -> Settings:
    """A budget that refills slower than any machine sends, so the flood surely passes it."""
    server_settings.ws_messages_per_second = 0.5
    return server_settings


async def test_deeply_nested_frames_past_the_rate_limit_are_refused_and_socket_survives(
    slow_refill: Settings, server: RunningServer
) -> None:
    _call_id, _token, customer = await server.customer()
    nested = "[" * 3_000 + "]" * 3_000  # deep enough to exhaust the recursion limit of a plain json.loads
    frames = server.settings.ws_message_burst + 50
    for _ in range(frames):
        await customer.send(nested)
    codes = {(await customer.expect("error"))["code"] for _ in range(frames)}
    assert codes <= {"malformed", "rate_limited"} and "rate_limited" in codes
    await asyncio.sleep(2.5)  # the budget refills
    await still_serving(customer)


async def test_nul_in_a_socket_url_is_refused_at_the_handshake(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await server.call_ws("abc%00def", "token")
    assert refused.value.response.status_code == 403
