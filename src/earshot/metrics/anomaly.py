"""Drift detection, pure: the latest value of a KPI series against its own recent history.

The baseline is seasonal when there is enough of it: the same hour of day on earlier days
(median and MAD, i.e. a robust z-score). With too little seasonal history it falls back to the
series' recent intervals, weighted towards the newest (EWMA). A `min_scale` per KPI keeps a
flat history (MAD 0) from turning every small change into an alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


@dataclass(frozen=True)
class Watched:
    """A KPI worth an alert when it moves in `worse` direction (+1: up is worse, -1: down is worse)."""

    kpi: str
    label: str
    worse: int
    min_scale: float  # the smallest spread taken as normal, in the KPI's unit
    unit: str


WATCHED: tuple[Watched, ...] = (
    Watched("average_speed_of_answer_s", "Wait time", +1, 5.0, "s"),
    Watched("abandonment_rate", "Abandonment", +1, 0.03, ""),
    Watched("service_level", "Service level", -1, 0.05, ""),
    Watched("negative_call_share", "Negative calls", +1, 0.05, ""),
    Watched("average_handle_time_s", "Handle time", +1, 20.0, "s"),
)


@dataclass(frozen=True)
class Drift:
    kpi: str
    value: float
    baseline: float
    score: float  # robust z: how many (robust) standard deviations from the baseline, signed
    basis: str  # "same hour of day over N days" or "EWMA of the last N intervals"

    def describe(self, label: str, unit: str, at: datetime) -> str:
        change = self.value - self.baseline
        direction = "up" if change > 0 else "down"
        if unit == "s":
            moved = f"{self.value:.0f} s, {direction} {abs(change):.0f} s"
            base = f"{self.baseline:.0f} s"
        else:
            moved = f"{self.value:.0%}, {direction} {abs(change) * 100:.0f} points"
            base = f"{self.baseline:.0%}"
        return f"{label} {moved} at {at:%Y-%m-%d %H:%M} UTC against {base} ({self.basis}; z = {self.score:+.1f})"


def robust_z(value: float, history: Sequence[float], center: float | None = None, min_scale: float = 0.0) -> float:
    """(value - center) / spread, the spread being the MAD scaled to a standard deviation (at least min_scale)."""
    center = median(history) if center is None else center
    mad = median(abs(x - median(history)) for x in history)
    scale = max(MAD_TO_SIGMA * mad, min_scale)
    if scale == 0:
        return 0.0 if value == center else float("inf") if value > center else float("-inf")
    return (value - center) / scale


def ewma(values: Sequence[float], alpha: float = 0.3) -> float:
    """Exponentially weighted mean, oldest first: the newest value weighs `alpha`."""
    mean = values[0]
    for x in values[1:]:
        mean = alpha * x + (1 - alpha) * mean
    return mean


def detect(
    watched: Watched,
    value: float,
    seasonal: Sequence[float],
    recent: Sequence[float],
    threshold: float,
    min_history: int = 5,
) -> Drift | None:
    """A drift when `value` is more than `threshold` robust z-scores worse than its baseline; else None.

    `seasonal`: the KPI at the same hour of day on earlier days; `recent`: the intervals just
    before, oldest first. Neither includes `value`.
    """
    if len(seasonal) >= min_history:
        baseline = median(seasonal)
        score = robust_z(value, seasonal, baseline, watched.min_scale)
        basis = f"median of the same hour over {len(seasonal)} days"
    elif len(recent) >= min_history:
        baseline = ewma(recent)
        score = robust_z(value, recent, baseline, watched.min_scale)
        basis = f"EWMA of the last {len(recent)} intervals"
    else:
        return None
    if score * watched.worse < threshold:
        return None
    return Drift(watched.kpi, value, baseline, score, basis)


def negative_streak(ended_negative: Sequence[bool], length: int) -> bool:
    """Whether the newest `length` calls (newest last) all ended negative."""
    return length > 0 and len(ended_negative) >= length and all(ended_negative[-length:])
