import { useState } from "react";
import type { MetricAlert } from "../lib/api";

interface MetricAlertsProps {
  alerts: MetricAlert[];
  kpiLabel: (key: string) => string;
  /** Whom an alert is about, or null for the whole center. */
  scopeLabel: (scope: string) => string | null;
  onAcknowledge: (id: number) => Promise<void>;
}

/** Anomaly alerts not yet acknowledged, newest first; acknowledging takes one off the list for every supervisor. */
export function MetricAlerts({ alerts, kpiLabel, scopeLabel, onAcknowledge }: MetricAlertsProps) {
  const [busy, setBusy] = useState<number | null>(null);
  if (alerts.length === 0) return <p className="muted small">No open alerts.</p>;
  return (
    <ul className="metric-alerts">
      {alerts.map((alert) => (
        <li key={alert.id} className="metric-alert">
          <div>
            <p className="metric-alert-kpi">
              {kpiLabel(alert.kpi)}
              {scopeLabel(alert.scope) && <span className="badge">{scopeLabel(alert.scope)}</span>}
            </p>
            <p>{alert.message}</p>
            <p className="muted small">Raised {new Date(alert.created_at).toLocaleString()}</p>
          </div>
          <button
            type="button"
            className="button button-small"
            disabled={busy === alert.id}
            aria-label={`Acknowledge the ${kpiLabel(alert.kpi)} alert`}
            onClick={async () => {
              setBusy(alert.id);
              await onAcknowledge(alert.id);
              setBusy(null);
            }}
          >
            Acknowledge
          </button>
        </li>
      ))}
    </ul>
  );
}
