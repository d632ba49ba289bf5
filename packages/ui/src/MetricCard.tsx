// One figure of a dashboard: a label (with an optional explanation) and its formatted value.
import type { ReactNode } from "react";

export interface MetricCardProps {
  /** A stable key for tests and styling (`data-kpi`). */
  id: string;
  label: string;
  /** Already formatted ("42 s", "87 %"); null while loading. */
  value: string | null;
  /** Next to the label: an info tip with the metric's definition. */
  info?: ReactNode;
  /** A line under the value (a comparison, a target). */
  detail?: ReactNode;
  error?: string | null;
}

/** A term and its value: put cards inside one `<dl>` (the dashboard's grid). */
export function MetricCard({ id, label, value, info, detail, error }: MetricCardProps) {
  return (
    <div className="kpi-tile metric-card" data-kpi={id}>
      <dt className="kpi-label">
        {label} {info}
      </dt>
      <dd className="kpi-value numeric" aria-busy={value === null && !error ? true : undefined}>
        {error ? <span className="metric-error">{error}</span> : (value ?? "…")}
      </dd>
      {detail && <dd className="metric-detail small muted">{detail}</dd>}
    </div>
  );
}
