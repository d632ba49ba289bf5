"""The metrics API on a running server: live calls reach the KPIs, CSV and XLSX exports, alerts, bad ranges."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from earshot.db import Database, utcnow
from earshot.metrics.facts import rebuild_call_facts
from earshot.metrics.models import MetricAlert
from tests.harness import RunningServer
from tests.metrics.calllog import T0, add_call, ended, queued, said, sentiment, started, suggestion, wrapped

DAY = {"from": T0.date().isoformat(), "to": T0.date().isoformat()}


async def _poll(check: Any, deadline_s: float = 10.0) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_a_live_call_reaches_the_summary_and_the_agent_table_once_wrapped_up(server: RunningServer) -> None:
    agent = await server.agent("agent1")
    call_id, _token, customer = await server.customer("Jane Doe")
    await agent.expect("call_offer", call_id=call_id)
    await agent.send({"type": "accept_offer", "call_id": call_id})
    await customer.expect("call_started")
    await customer.send({"type": "chat", "text": "My order is late"})
    await agent.expect("chat", speaker="customer")
    await agent.send({"type": "chat", "call_id": call_id, "text": "Let me look"})
    await agent.expect("chat", speaker="agent")
    await agent.send({"type": "end_call", "call_id": call_id})
    await agent.expect("agent_state", status="wrap_up")
    await agent.send({"type": "wrap_up", "call_id": call_id, "disposition": "resolved", "notes": ""})
    await agent.expect("agent_state", status="available")
    await customer.drain()

    async with server.http(await server.login("supervisor")) as http:
        async def wrapped_up() -> dict[str, Any] | None:
            body = (await http.get("/api/metrics/summary")).json()
            return body if body["average_handle_time_s"] is not None else None

        summary = await _poll(wrapped_up)
        assert summary is not None, "the call's facts never reached the summary"
        assert summary["calls_handled"] == 1 and summary["resolution_rate"] == 1.0
        assert summary["first_response_time_s"] is not None and summary["service_level"] == 1.0
        agents = (await http.get("/api/metrics/agents")).json()
    row = next(row for row in agents if row["agent_name"] == "Alex Agent")
    assert row["calls_handled"] == 1
    assert row["utilization"] is not None and 0 < row["utilization"] <= 1


async def _seed(database_url: str) -> None:
    db = Database(database_url)
    async with db.sessions() as session:
        await add_call(session, [queued(), started(10, 3), said(11, "customer"), said(14, "agent"),
                                 sentiment(12, -0.7), suggestion(13, "s1", "offer_refund"), ended(70),
                                 wrapped(90, "escalated")])
        await add_call(session, [queued("phone"), ended(25, "abandoned")], T0 + timedelta(hours=2))
        await session.commit()
    await rebuild_call_facts(db)
    await db.close()


async def test_every_table_exports_as_csv_with_the_api_field_names(server: RunningServer) -> None:
    await _seed(server.database_url)
    async with server.http(await server.login("supervisor")) as http:
        tables = {}
        for table in ("summary", "timeseries", "agents", "reasons"):
            response = await http.get(f"/api/metrics/export/{table}.csv", params=DAY)
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
            tables[table] = list(csv.DictReader(io.StringIO(response.text)))
        api_summary = (await http.get("/api/metrics/summary", params=DAY)).json()
    [summary] = tables["summary"]
    assert summary["calls_handled"] == "1" and summary["calls_abandoned"] == "1"
    assert summary["abandonment_rate"] == "0.5" and summary["resolution_rate"] == "0.0"
    assert summary["average_speed_of_answer_s"] == str(api_summary["average_speed_of_answer_s"]) == "10.0"
    assert summary["utilization"] == ""  # no agent time logged: empty, not zero
    assert [row["bucket_start"][11:16] for row in tables["timeseries"]] == ["09:00", "11:00"]
    assert [row["agent_id"] for row in tables["agents"]] == ["3"]
    assert {row["reason"] for row in tables["reasons"]} == {"offer_refund", ""}


async def test_the_xlsx_report_has_summary_agent_reason_interval_and_definition_sheets(server: RunningServer) -> None:
    await _seed(server.database_url)
    async with server.http(await server.login("admin")) as http:
        response = await http.get("/api/metrics/report.xlsx", params={**DAY, "interval": "hour"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "Agents", "Reasons", "Per hour", "Definitions"]
    header, values = list(workbook["Summary"].iter_rows(values_only=True))
    row = dict(zip(header, values, strict=True))
    assert (row["calls_handled"], row["calls_abandoned"], row["abandonment_rate"]) == (1, 1, 0.5)
    assert row["average_handle_time_s"] == 80.0
    assert len(list(workbook["Per hour"].iter_rows())) == 3
    definitions = {r[0]: r[3] for r in workbook["Definitions"].iter_rows(min_row=2, values_only=True)}
    assert "EARSHOT_SERVICE_LEVEL_SECONDS" in definitions["service_level"]


async def test_an_alert_is_listed_until_acknowledged(server: RunningServer) -> None:
    db = Database(server.database_url)
    async with db.sessions() as session:
        alert = MetricAlert(kpi="abandonment_rate", scope="all", bucket_start=T0, value=0.4, baseline=0.05,
                            score=7.0, message="Abandonment 40%", created_at=utcnow())
        session.add(alert)
        await session.commit()
        alert_id = alert.id
    await db.close()
    async with server.http(await server.login("supervisor")) as http:
        assert [a["id"] for a in (await http.get("/api/metrics/alerts")).json()] == [alert_id]
        acked = (await http.post(f"/api/metrics/alerts/{alert_id}/acknowledge")).json()
        assert acked["acknowledged_at"] is not None and acked["acknowledged_by"] is not None
        assert (await http.get("/api/metrics/alerts")).json() == []
        assert len((await http.get("/api/metrics/alerts", params={"include_acknowledged": True})).json()) == 1
        assert (await http.post("/api/metrics/alerts/999/acknowledge")).status_code == 404


async def test_ranges_that_make_no_sense_or_are_too_long_are_refused(server: RunningServer) -> None:
    async with server.http(await server.login("supervisor")) as http:
        backwards = await http.get("/api/metrics/summary", params={"from": "2026-11-05", "to": "2026-11-01"})
        too_long = await http.get("/api/metrics/agents", params={"from": "2020-01-01", "to": "2026-01-01"})
        too_fine = await http.get("/api/metrics/timeseries",
                                  params={"from": "2026-01-01", "to": "2026-12-01", "interval": "15min"})
        far_end = await http.get("/api/metrics/summary", params={"from": "9999-12-31"})
        definitions = await http.get("/api/metrics/definitions")
    assert [r.status_code for r in (backwards, too_long, too_fine, far_end)] == [422] * 4
    assert {d["key"] for d in definitions.json()} >= {"service_level", "utilization", "reason"}
