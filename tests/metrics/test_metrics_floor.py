"""The live floor reaches supervisors over their WebSocket: a snapshot on connect, then one after each change."""

from __future__ import annotations

from typing import Any

from tests.harness import RunningServer, active_call


def agent(floor: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in floor["agents"] if a["agent_name"] == name)


async def test_the_floor_follows_a_call_from_queue_to_wrap_up(server: RunningServer) -> None:
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    first = await supervisor.expect("floor")
    assert {a["agent_name"] for a in first["agents"]} == {"Alex Agent", "Blake Agent", "Casey Agent"}
    assert agent(first, "Alex Agent")["state"] == "offline"
    assert first["queue"] == {
        "waiting": 0, "longest_waiting_since": None, "longest_wait_s": None, "expected_wait_s": None, "abandoned_last_hour": 0,
    }
    assert first["today"]["calls_handled"] == 0  # nobody staffed: no expected wait to give

    # Nobody available: a caller waits, and no agent could take them (no expected wait to give).
    call_id, _token, customer = await server.customer("Emily Carter")
    waiting = await supervisor.expect_floor(lambda f: f["queue"]["waiting"] == 1)
    assert waiting["queue"]["longest_waiting_since"] is not None and waiting["queue"]["expected_wait_s"] is None

    console = await server.agent("agent1")
    await console.expect("call_offer", call_id=call_id)
    ringing = await supervisor.expect_floor(lambda f: agent(f, "Alex Agent")["state"] == "offered")
    assert agent(ringing, "Alex Agent")["call_id"] == call_id
    await console.send({"type": "accept_offer", "call_id": call_id})
    talking = await supervisor.expect_floor(lambda f: agent(f, "Alex Agent")["state"] == "in_call")
    alex = agent(talking, "Alex Agent")
    assert (alex["call_id"], alex["customer_name"], talking["queue"]["waiting"]) == (call_id, "Emily Carter", 0)
    assert alex["state_since"] is not None

    # The customer's mood reaches the board as the assist stage scores it.
    await customer.send({"type": "chat", "text": "This is terrible, my order never arrived and nobody helps me!"})
    upset = await supervisor.expect_floor(lambda f: agent(f, "Alex Agent")["sentiment"] is not None, timeout=20)
    assert agent(upset, "Alex Agent")["sentiment_label"] == "negative"

    await console.send({"type": "end_call", "call_id": call_id})
    wrapping = await supervisor.expect_floor(lambda f: agent(f, "Alex Agent")["state"] == "wrap_up")
    assert agent(wrapping, "Alex Agent")["call_id"] == call_id
    await console.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    done = await supervisor.expect_floor(lambda f: f["today"]["resolution_rate"] == 1.0)
    assert agent(done, "Alex Agent")["state"] == "available"
    assert done["today"]["calls_handled"] == 1 and done["today"]["average_handle_time_s"] is not None


async def test_a_supervisor_connecting_mid_call_gets_the_floor_as_it_is(server: RunningServer) -> None:
    call_id, _customer, _agent = await active_call(server)
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    floor = await supervisor.expect("floor")
    alex = agent(floor, "Alex Agent")
    assert (alex["state"], alex["call_id"], alex["customer_name"]) == ("in_call", call_id, "Emily Carter")
    assert agent(floor, "Blake Agent")["state"] == "offline"


async def test_abandoned_callers_count_for_an_hour(server: RunningServer) -> None:
    supervisor = await server.ws("/ws/supervisor", token=await server.login("supervisor"))
    await supervisor.expect("floor")
    _call_id, _token, customer = await server.customer("Impatient Ian")
    await supervisor.expect_floor(lambda f: f["queue"]["waiting"] == 1)
    await customer.send({"type": "end_call"})
    gone = await supervisor.expect_floor(lambda f: f["queue"]["abandoned_last_hour"] == 1)
    assert gone["queue"]["waiting"] == 0
    tiles = await supervisor.expect_floor(lambda f: f["today"]["calls_abandoned"] == 1)
    assert tiles["today"]["abandonment_rate"] == 1.0


async def test_the_floor_is_also_served_over_http_and_as_csv(server: RunningServer) -> None:
    call_id, _customer, _agent = await active_call(server)
    async with server.http(await server.login("supervisor")) as http:
        floor = (await http.get("/api/metrics/floor")).json()
        csv = await http.get("/api/metrics/export/floor.csv")
    async with server.http(await server.login("agent2")) as http:
        refused = await http.get("/api/metrics/export/floor.csv")
    assert agent(floor, "Alex Agent")["call_id"] == call_id
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, *lines = csv.text.strip().splitlines()
    assert header.split(",")[:4] == ["at", "agent_id", "agent_name", "state"]
    alex = next(line.split(",") for line in lines if "Alex Agent" in line)
    assert (alex[3], alex[5], alex[6]) == ("in_call", call_id, "Emily Carter")
    assert len(lines) == 3 and refused.status_code == 403
