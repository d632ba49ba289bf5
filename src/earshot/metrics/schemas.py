"""REST shapes of the metrics API: the summary's keys are the names the CSV, the XLSX and the UI use too."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from earshot.calls.protocol import Kpis

__all__ = ["AgentRow", "AlertInfo", "KpiDefinitionInfo", "Kpis", "ReasonRow", "Summary", "TimeseriesPoint"]


class Summary(Kpis):
    from_date: date
    to_date: date
    service_level_seconds: float


class TimeseriesPoint(Kpis):
    bucket_start: datetime


class AgentRow(Kpis):
    agent_id: int
    agent_name: str


class ReasonRow(BaseModel):
    reason: str | None
    calls_handled: int
    calls_abandoned: int
    service_level: float | None
    average_speed_of_answer_s: float | None
    average_handle_time_s: float | None
    first_response_time_s: float | None
    resolution_rate: float | None
    abandonment_rate: float | None
    average_sentiment: float | None
    negative_call_share: float | None
    suggestion_acceptance_rate: float | None


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
