"""REST shapes of the metrics API: the summary's keys are the names the CSV, the XLSX and the UI use too."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from earshot.calls.protocol import CallKpis, Kpis

__all__ = ["AgentRow", "AlertInfo", "CallKpis", "KpiDefinitionInfo", "Kpis", "ReasonRow", "Summary", "TimeseriesPoint"]


class Summary(Kpis):
    from_date: date
    to_date: date
    service_level_seconds: float


class TimeseriesPoint(Kpis):
    bucket_start: datetime


class AgentRow(Kpis):
    agent_id: int
    agent_name: str


class ReasonRow(CallKpis):
    reason: str | None


class KpiDefinitionInfo(BaseModel):
    key: str
    label: str
    unit: str
    definition: str


class AlertInfo(BaseModel):
    id: int
    kpi: str
    scope: str
    bucket_start: datetime
    value: float
    baseline: float
    score: float
    message: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
