import type { ReasonRow } from "../lib/api";
import { REASON_COLUMNS, formatKpi, formatPercent, reasonLabel, reasonShare, type KpiInfo } from "../state/dashboard";
import { KpiHeader } from "./KpiHeader";

interface ReasonTableProps {
  rows: ReasonRow[];
  kpis: KpiInfo[];
  /** What a call reason is, for the first column's tooltip. */
  reasonDefinition: string;
}

/** Calls by reason (the assist intent of the call), most calls first, with each reason's share of the calls. */
export function ReasonTable({ rows, kpis, reasonDefinition }: ReasonTableProps) {
  if (rows.length === 0) return <p className="muted empty">No calls in this period.</p>;
  return (
    <div className="table-scroll">
      <table className="table metrics-table">
        <thead>
          <tr>
            <KpiHeader label="Call reason" definition={reasonDefinition} numeric={false} />
            <th scope="col" className="numeric">
              Share
            </th>
            {REASON_COLUMNS.map((key) => {
              const kpi = kpis.find((info) => info.key === key)!;
              return <KpiHeader key={key} label={kpi.label} definition={kpi.definition} />;
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const share = reasonShare(row, rows);
            return (
              <tr key={row.reason ?? ""}>
                <th scope="row">{reasonLabel(row.reason)}</th>
                <td className="numeric">
                  <span className="share">
                    <span className="share-bar" aria-hidden="true">
                      <span className="share-fill" style={{ width: `${(share ?? 0) * 100}%` }} />
                    </span>
                    {formatPercent(share)}
                  </span>
                </td>
                {REASON_COLUMNS.map((key) => (
                  <td key={key} className="numeric">
                    {formatKpi(key, row)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
