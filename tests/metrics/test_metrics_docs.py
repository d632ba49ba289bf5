"""docs/metrics.md says what the code's KPI definitions say, word for word."""

from __future__ import annotations

from pathlib import Path

from earshot.metrics.kpi import KPI_DEFINITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_every_kpi_definition_is_in_the_metrics_doc() -> None:
    text = DOC.read_text()
    missing = [
        key for key, d in KPI_DEFINITIONS.items() if f"| `{key}` | {d.label} | {d.unit} | {d.definition} |" not in text
    ]
    assert not missing, f"regenerate the definitions table in docs/metrics.md for: {missing}"
