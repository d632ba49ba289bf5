import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { AgentBoard } from "../components/AgentBoard";
import { AppHeader } from "../components/AppHeader";
import { KpiChart } from "../components/KpiChart";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { KpiTile } from "../components/KpiTile";
import { LiveFloor } from "../components/LiveFloor";
import { MetricAlerts } from "../components/MetricAlerts";
import { MetricsFilterBar } from "../components/MetricsFilterBar";
import { ReasonTable } from "../components/ReasonTable";
import { useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import {
  CHARTS,
  alertScope,
  chartData,
  chartSummary,
  csvUrl,
  filtersFromSearch,
  formatKpi,
  isPlainToday,
  kpiInfo,
  kpiLabel,
  metricsQuery,
  reportUrl,
  sortAgents,
  type DashboardFilters,
  type ExportTable,
} from "../state/dashboard";
import { floorReducer, initialFloorView, todayKey, type FloorView } from "../state/floor";
import { useCallSocket } from "../state/useCallSocket";
import { useDashboard } from "../state/useDashboard";

function CsvLink({ table, filters, what }: { table: ExportTable; filters: DashboardFilters; what: string }) {
  return (
    <a className="button button-small" href={csvUrl(table, filters)} download aria-label={`Download ${what} as CSV`}>
      CSV
    </a>
  );
}

/** The supervisor dashboard: KPI tiles, charts over time, per-agent and per-reason tables, exports and alerts. */
export function DashboardPage() {
  useDocumentTitle("Dashboard");
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search.toString(), new Date()), [search]);
  const { expire } = useAuth();
  const [live, socket] = useCallSocket<FloorView>({
    path: () => "/ws/supervisor",
    reducer: floorReducer,
    initial: initialFloorView,
    onUnauthorized: expire,
  });
  const dashboard = useDashboard(filters, `${todayKey(live.floor)}|${live.alerts.length}`);
  const { data, definitions } = dashboard;
  // Today with no filter is exactly what the floor pushes: its tiles move with every call.
  // Every agent is on the floor, also those with nothing in the period: their alerts get a name.
  const floorAgents = useMemo(() => (live.floor?.agents ?? []).map((agent) => ({ id: agent.agent_id, name: agent.agent_name })), [live.floor]);
  const tiles = isPlainToday(filters, new Date()) && live.floor ? live.floor.today : data.summary;
  const kpis = useMemo(() => kpiInfo(definitions), [definitions]);
  const shown = data.loadedFor ?? filters;
  const charts = useMemo(
    () => CHARTS.map((chart) => ({ ...chart, data: chartData(data.points, shown, chart.keys, definitions) })),
    [data.points, shown, definitions],
  );
  const agents = useMemo(() => sortAgents(data.agents), [data.agents]);
  const period = shown.from === shown.to ? shown.from : `${shown.from} to ${shown.to}`;

  return (
    <div className="console">
      <AppHeader />
      <main className="dashboard">
        <div className="dashboard-head">
          <div>
            <h1>Dashboard</h1>
            <p className="muted small">
              {period} (UTC){data.summary && <> · service level answers within {data.summary.service_level_seconds} s</>}
            </p>
          </div>
          <div className="actions">
            <span className="muted small" role="status" aria-live="polite">
              {dashboard.loading ? "Updating…" : ""}
            </span>
            <button type="button" className="button button-small" onClick={dashboard.refresh}>
              Refresh
            </button>
            <a className="button button-small button-primary" href={reportUrl(filters)} download>
              Download report (XLSX)
            </a>
          </div>
        </div>

        <section className="card" aria-labelledby="floor-title">
          <div className="section-header">
            <h2 id="floor-title">Live floor</h2>
            <ConnectionBanner status={socket.status} />
          </div>
          <LiveFloor floor={live.floor} />
        </section>

        <section className="card" aria-label="Filters">
          <MetricsFilterBar filters={filters} agents={dashboard.agentOptions} onChange={(next) => setSearch(metricsQuery(next), { replace: true })} />
        </section>

        {dashboard.error && (
          <p className="notice notice-error" role="alert">
            {dashboard.error}
          </p>
        )}

        <section className={`card alerts-card${dashboard.alerts.length ? " alerts-open" : ""}`} aria-labelledby="alerts-title">
          <h2 id="alerts-title">
            Alerts {dashboard.alerts.length > 0 && <span className="count count-danger">{dashboard.alerts.length}</span>}
          </h2>
          <MetricAlerts
            alerts={dashboard.alerts}
            kpiLabel={(key) => kpiLabel(key, definitions)}
            scopeLabel={(scope) => alertScope(scope, [...dashboard.agentOptions, ...floorAgents])}
            onAcknowledge={dashboard.acknowledge}
          />
        </section>

        <section aria-labelledby="kpi-title">
          <div className="section-header">
            <h2 id="kpi-title">Key figures</h2>
            <CsvLink table="summary" filters={filters} what="the key figures" />
          </div>
          <dl className="kpi-grid">
            {kpis.map((kpi) => (
              <KpiTile key={kpi.key} kpi={kpi.key} label={kpi.label} definition={kpi.definition} value={tiles ? formatKpi(kpi.key, tiles) : "…"} />
            ))}
          </dl>
        </section>

        <section aria-labelledby="charts-title">
          <div className="section-header">
            <h2 id="charts-title">Over time</h2>
            <CsvLink table="timeseries" filters={filters} what="every series" />
          </div>
          <div className="chart-grid">
            {charts.map((chart) => (
              <div className="card" key={chart.id}>
                <KpiChart
                  title={chart.title}
                  unit={chart.unit}
                  kind={chart.kind}
                  data={chart.data}
                  interval={shown.interval}
                  summary={chartSummary(chart.data, chart.unit)}
                />
              </div>
            ))}
          </div>
        </section>

        <section className="card" aria-labelledby="agents-title">
          <div className="section-header">
            <h2 id="agents-title">Agents</h2>
            <CsvLink table="agents" filters={filters} what="the agents table" />
          </div>
          <AgentBoard rows={agents} kpis={kpis} />
        </section>

        <section className="card" aria-labelledby="reasons-title">
          <div className="section-header">
            <h2 id="reasons-title">Call reasons</h2>
            <CsvLink table="reasons" filters={filters} what="the call reasons table" />
          </div>
          <ReasonTable
            rows={data.reasons}
            kpis={kpis}
            reasonDefinition={definitions.find((definition) => definition.key === "reason")?.definition ?? ""}
          />
        </section>
      </main>
    </div>
  );
}
