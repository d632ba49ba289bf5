import { MetricCard } from "@earshot/ui";
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
  return <MetricCard id={kpi} label={label} value={value} info={<InfoTip subject={label} text={definition} />} />;
}
