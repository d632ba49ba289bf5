"""CSV of any metrics table or series, and an XLSX workbook of a period's report (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from earshot.metrics.kpi import KPI_DEFINITIONS
from earshot.metrics.queries import Report

KPI_KEYS = [
    "calls_handled", "calls_abandoned", "service_level", "average_speed_of_answer_s", "average_handle_time_s",
    "first_response_time_s", "resolution_rate", "abandonment_rate", "average_sentiment", "negative_call_share",
    "suggestion_acceptance_rate", "utilization",
]
TABLE_COLUMNS: dict[str, list[str]] = {
    "summary": ["from_date", "to_date", *KPI_KEYS],
    "timeseries": ["bucket_start", *KPI_KEYS],
    "agents": ["agent_id", "agent_name", *KPI_KEYS],
    "reasons": ["reason", *[key for key in KPI_KEYS if key != "utilization"]],
    "floor": [
        "at", "agent_id", "agent_name", "state", "state_since", "call_id", "customer_name", "sentiment",
        "sentiment_label", "callers_waiting", "longest_wait_s", "expected_wait_s", "abandoned_last_hour",
    ],
}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def to_csv(table: str, rows: Sequence[dict[str, Any]]) -> str:
    """One header line (the API's field names), then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = TABLE_COLUMNS[table]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


def report_tables(report: Report) -> dict[str, list[dict[str, Any]]]:
    first, last = report.filters.start.date(), (report.filters.end.date().toordinal() - 1)
    summary = {"from_date": first, "to_date": date.fromordinal(last), **report.summary}
    return {"summary": [summary], "agents": report.agents, "reasons": report.reasons, "timeseries": report.timeseries}


def to_xlsx(report: Report) -> bytes:
    """A workbook with Summary, Agents, Reasons, Intervals and Definitions sheets."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = {"summary": "Summary", "agents": "Agents", "reasons": "Reasons", "timeseries": f"Per {report.interval}"}
    first = True
    for table, rows in report_tables(report).items():
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = sheets[table]
        columns = TABLE_COLUMNS[table]
        sheet.append(columns)
        for row in rows:
            sheet.append([_xlsx_cell(row.get(column)) for column in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    definitions = workbook.create_sheet("Definitions")
    definitions.append(["key", "label", "unit", "definition"])
    for definition in KPI_DEFINITIONS.values():
        definitions.append([definition.key, definition.label, definition.unit, definition.definition])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; every time here is UTC
    return value
