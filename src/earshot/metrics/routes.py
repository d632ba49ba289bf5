"""REST routes of the supervisor dashboard: KPIs, series, per-agent and per-reason tables, exports, alerts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response

from earshot.auth.deps import SupervisorUser
from earshot.config import Settings
from earshot.db import SessionDep
from earshot.inputs import DbInt
from earshot.metrics import queries
from earshot.metrics.alerts import acknowledge, list_alerts
from earshot.calls.protocol import Floor
from earshot.metrics.export import to_csv, to_xlsx
from earshot.metrics.floor import floor_snapshot
from earshot.metrics.kpi import KPI_DEFINITIONS
from earshot.metrics.queries import Filters
from earshot.metrics.schemas import AgentRow, AlertInfo, KpiDefinitionInfo, ReasonRow, Summary, TimeseriesPoint

router = APIRouter(prefix="/api/metrics", tags=["metrics"])

MAX_DAYS = 400  # a year and a bit: enough for any report, and a bound on the work of one request
MAX_BUCKETS = 5000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def metrics_filters(
    from_date: Annotated[date | None, Query(alias="from", description="First day (UTC), default today.")] = None,
    to_date: Annotated[date | None, Query(alias="to", description="Last day (UTC, included), default `from`.")] = None,
    agent_id: Annotated[DbInt | None, Query()] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    disposition: Annotated[str | None, Query(max_length=16)] = None,
) -> Filters:
    first = from_date or to_date
    last = to_date or from_date
    if first is not None and last is not None:
        if last < first:
            raise HTTPException(422, "`to` is before `from`")
        if (last - first).days >= MAX_DAYS:
            raise HTTPException(422, f"at most {MAX_DAYS} days at a time")
        if last >= date.max - timedelta(days=1):
            raise HTTPException(422, "`to` is out of range")
    return Filters.for_dates(first, last, agent_id=agent_id, channel=channel, disposition=disposition)


FiltersDep = Annotated[Filters, Depends(metrics_filters)]
IntervalQuery = Annotated[Literal["15min", "hour", "day", "week"], Query()]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _check_buckets(filters: Filters, interval: str) -> None:
    buckets = (filters.end - filters.start).total_seconds() / queries.INTERVAL_SECONDS[interval]
    if buckets > MAX_BUCKETS:
        raise HTTPException(422, f"more than {MAX_BUCKETS} intervals: widen `interval`")


def _summary(filters: Filters, kpis: dict[str, Any], settings: Settings) -> dict[str, Any]:
    last = (filters.end - timedelta(days=1)).date()
    return {"from_date": filters.start.date(), "to_date": last, "service_level_seconds": settings.service_level_seconds,
            **kpis}


@router.get("/definitions")
async def definitions(_user: SupervisorUser) -> list[KpiDefinitionInfo]:
    """What every KPI means (the dashboard's tooltips and docs/metrics.md say the same)."""
    return [KpiDefinitionInfo(**vars(definition)) for definition in KPI_DEFINITIONS.values()]


@router.get("/summary")
async def summary(_user: SupervisorUser, session: SessionDep, filters: FiltersDep, settings: SettingsDep) -> Summary:
    """The KPI tiles for the period (default: today, UTC)."""
    kpis = await queries.summary(session, filters, settings.service_level_seconds)
    return Summary(**_summary(filters, kpis, settings))


@router.get("/timeseries")
async def timeseries(
    _user: SupervisorUser, session: SessionDep, filters: FiltersDep, settings: SettingsDep, interval: IntervalQuery = "hour"
) -> list[TimeseriesPoint]:
    """The KPIs per interval (by when calls were queued), intervals without calls or agent time left out."""
    _check_buckets(filters, interval)
    points = await queries.timeseries(session, filters, interval, settings.service_level_seconds)
    return [TimeseriesPoint(**point) for point in points]


@router.get("/agents")
async def agents(_user: SupervisorUser, session: SessionDep, filters: FiltersDep, settings: SettingsDep) -> list[AgentRow]:
    """One row per agent with calls or logged-in time in the period."""
    return [AgentRow(**row) for row in await queries.agents(session, filters, settings.service_level_seconds)]


@router.get("/reasons")
async def reasons(_user: SupervisorUser, session: SessionDep, filters: FiltersDep, settings: SettingsDep) -> list[ReasonRow]:
    """Calls by reason (the action of the first suggestion answering the customer), most calls first."""
    return [ReasonRow(**row) for row in await queries.reasons(session, filters, settings.service_level_seconds)]


@router.get("/floor")
async def floor(_user: SupervisorUser, session: SessionDep, settings: SettingsDep) -> Floor:
    """The live floor now, as supervisors' sockets receive it (`floor`): for API clients and exports."""
    return await floor_snapshot(session, settings.service_level_seconds)


# Before /export/{table}.csv, which would take `floor` for a table name and refuse it.
@router.get("/export/floor.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_floor_csv(_user: SupervisorUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The floor now as CSV: one row per agent, each with the queue's figures at that moment."""
    now = await floor_snapshot(session, settings.service_level_seconds)
    queue = {"at": now.at, "callers_waiting": now.queue.waiting, "longest_wait_s": now.queue.longest_wait_s,
             "expected_wait_s": now.queue.expected_wait_s, "abandoned_last_hour": now.queue.abandoned_last_hour}
    rows = [{**agent.model_dump(), **queue} for agent in now.agents]
    name = f"earshot-floor-{now.at:%Y-%m-%dT%H%M%S}.csv"
    return Response(to_csv("floor", rows), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/export/{table}.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_csv(
    table: Literal["summary", "timeseries", "agents", "reasons"],
    _user: SupervisorUser,
    session: SessionDep,
    filters: FiltersDep,
    settings: SettingsDep,
    interval: IntervalQuery = "hour",
) -> Response:
    """Any table or chart series of the dashboard as CSV, with the same filters."""
    _check_buckets(filters, interval)
    seconds = settings.service_level_seconds
    rows: list[dict[str, Any]]
    if table == "summary":
        rows = [_summary(filters, await queries.summary(session, filters, seconds), settings)]
    elif table == "timeseries":
        rows = await queries.timeseries(session, filters, interval, seconds)
    elif table == "agents":
        rows = await queries.agents(session, filters, seconds)
    else:
        rows = await queries.reasons(session, filters, seconds)
    body = to_csv(table, rows)
    name = f"earshot-{table}-{filters.start.date()}.csv"
    return Response(body, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/report.xlsx", response_class=Response, responses={200: {"content": {XLSX_TYPE: {}}}})
async def export_xlsx(
    _user: SupervisorUser, session: SessionDep, filters: FiltersDep, settings: SettingsDep, interval: IntervalQuery = "day"
) -> Response:
    """The period's report as a workbook: summary, per agent, per reason, per interval, definitions."""
    _check_buckets(filters, interval)
    report = await queries.report(session, filters, interval, settings.service_level_seconds)
    name = f"earshot-report-{filters.start.date()}.xlsx"
    return Response(to_xlsx(report), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/alerts")
async def alerts(
    _user: SupervisorUser, session: SessionDep, include_acknowledged: Annotated[bool, Query()] = False
) -> list[AlertInfo]:
    """Metric alerts, newest first: those not yet acknowledged, or all of them."""
    return [AlertInfo.model_validate(alert, from_attributes=True) for alert in await list_alerts(session, include_acknowledged)]


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(alert_id: DbInt, user: SupervisorUser, session: SessionDep) -> AlertInfo:
    """Take an alert off the dashboard's list; acknowledging it again changes nothing."""
    alert = await acknowledge(session, alert_id, user.id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such alert")
    return AlertInfo.model_validate(alert, from_attributes=True)
