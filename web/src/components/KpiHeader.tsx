import { InfoTip } from "./InfoTip";

/** A KPI's column header, with its definition as a tooltip. */
export function KpiHeader({ label, definition, numeric = true }: { label: string; definition: string; numeric?: boolean }) {
  return (
    <th scope="col" className={numeric ? "numeric" : undefined}>
      {label} <InfoTip subject={label} text={definition} />
    </th>
  );
}
