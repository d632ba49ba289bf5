import type { AgentRow } from "../lib/api";
import { AGENT_COLUMNS, formatKpi, type KpiInfo } from "../state/dashboard";
import { KpiHeader } from "./KpiHeader";

interface AgentBoardProps {
  rows: AgentRow[];
  kpis: KpiInfo[];
}

/** One row per agent with calls or logged-in time in the period, busiest first (sorted by the caller). */
export function AgentBoard({ rows, kpis }: AgentBoardProps) {
  if (rows.length === 0) return <p className="muted empty">No agent worked in this period.</p>;
  return (
    <div className="table-scroll">
      <table className="table metrics-table">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            {AGENT_COLUMNS.map((key) => {
              const kpi = kpis.find((info) => info.key === key)!;
              return <KpiHeader key={key} label={kpi.label} definition={kpi.definition} />;
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.agent_id}>
              <th scope="row">{row.agent_name}</th>
              {AGENT_COLUMNS.map((key) => (
                <td key={key} className="numeric">
                  {formatKpi(key, row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
