import { InfoTip } from "./InfoTip";

interface KpiTileProps {
  kpi: string;
  label: string;
  /** Already formatted ("42 s", "87 %"). */
  value: string;
  definition: string;
}

/** One KPI of the period, with its definition as a tooltip: a term and its value, inside the tiles' <dl>. */
export function KpiTile({ kpi, label, value, definition }: KpiTileProps) {
  return (
    <div className="kpi-tile" data-kpi={kpi}>
      <dt className="kpi-label">
        {label} <InfoTip subject={label} text={definition} />
      </dt>
      <dd className="kpi-value numeric">{value}</dd>
    </div>
  );
}
