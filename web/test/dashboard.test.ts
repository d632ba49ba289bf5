import { describe, expect, it } from "vitest";
import type { AgentRow, Kpis, TimeseriesPoint } from "../src/lib/api";
import {
  CHARTS,
  alertScope,
  KPIS,
  bucketSeconds,
  bucketStarts,
  chartData,
  chartSummary,
  csvUrl,
  defaultFilters,
  filtersFromSearch,
  filtersProblem,
  formatBucket,
  formatKpi,
  formatPercent,
  formatScore,
  formatSeconds,
  kpiInfo,
  mergeAgentOptions,
  metricsQuery,
  reasonLabel,
  reportUrl,
  sortAgents,
  type DashboardFilters,
} from "../src/state/dashboard";

const NOW = new Date("2026-12-02T15:30:00Z");

function filters(overrides: Partial<DashboardFilters> = {}): DashboardFilters {
  return { ...defaultFilters(NOW), ...overrides };
}

const NO_KPIS: Kpis = {
  calls_handled: 0,
  calls_abandoned: 0,
  service_level: null,
  average_speed_of_answer_s: null,
  average_handle_time_s: null,
  first_response_time_s: null,
  resolution_rate: null,
  abandonment_rate: null,
  average_sentiment: null,
  negative_call_share: null,
  suggestion_acceptance_rate: null,
  utilization: null,
};

describe("dashboard filters and queries", () => {
  it("defaults to today (UTC) by the hour, everyone, every channel", () => {
    expect(defaultFilters(NOW)).toEqual({ from: "2026-12-02", to: "2026-12-02", interval: "hour", agentId: "", channel: "", disposition: "" });
  });

  it("builds the API's query with only the filters that are set", () => {
    expect(metricsQuery(filters())).toBe("from=2026-12-02&to=2026-12-02&interval=hour");
    expect(metricsQuery(filters({ agentId: "7", channel: "phone", disposition: "follow_up", interval: "15min" }))).toBe(
      "from=2026-12-02&to=2026-12-02&interval=15min&agent_id=7&channel=phone&disposition=follow_up",
    );
    expect(metricsQuery(filters(), false)).toBe("from=2026-12-02&to=2026-12-02");
  });

  it("links the CSV of each table and the XLSX report with the current filters", () => {
    const current = filters({ from: "2026-11-01", to: "2026-11-30", interval: "day", agentId: "3" });
    expect(csvUrl("agents", current)).toBe("/api/metrics/export/agents.csv?from=2026-11-01&to=2026-11-30&agent_id=3");
    expect(csvUrl("timeseries", current)).toBe("/api/metrics/export/timeseries.csv?from=2026-11-01&to=2026-11-30&interval=day&agent_id=3");
    expect(reportUrl(current)).toBe("/api/metrics/report.xlsx?from=2026-11-01&to=2026-11-30&interval=day&agent_id=3");
  });

  it("reads filters back from the address and ignores what is malformed", () => {
    expect(filtersFromSearch("?from=2026-11-01&to=2026-11-07&interval=day&agent_id=4&channel=web", NOW)).toEqual({
      from: "2026-11-01",
      to: "2026-11-07",
      interval: "day",
      agentId: "4",
      channel: "web",
      disposition: "",
    });
    expect(filtersFromSearch("?from=2026-11-01", NOW)).toMatchObject({ from: "2026-11-01", to: "2026-11-01" });
    expect(filtersFromSearch("?from=yesterday&interval=year&agent_id=x", NOW)).toEqual(defaultFilters(NOW));
  });

  it("says which ranges the server would refuse", () => {
    expect(filtersProblem(filters())).toBeNull();
    expect(filtersProblem(filters({ from: "2026-12-03" }))).toMatch(/before the start/);
    expect(filtersProblem(filters({ from: "2025-01-01", interval: "week" }))).toMatch(/400 days/);
    expect(filtersProblem(filters({ from: "2026-09-01", interval: "15min" }))).toMatch(/longer interval/);
    expect(filtersProblem(filters({ from: "2026-09-01", interval: "hour" }))).toBeNull();
    expect(filtersProblem(filters({ to: "" }))).toMatch(/both dates/);
  });
});

describe("dashboard formatting", () => {
  it("formats seconds as s, min and h", () => {
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(0)).toBe("0 s");
    expect(formatSeconds(42.4)).toBe("42 s");
    expect(formatSeconds(59.6)).toBe("1 min");
    expect(formatSeconds(185)).toBe("3 min 5 s");
    expect(formatSeconds(3720)).toBe("1 h 2 min");
    expect(formatSeconds(7200)).toBe("2 h");
  });

  it("formats ratios as percentages, with a decimal only when small", () => {
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(0)).toBe("0 %");
    expect(formatPercent(0.0567)).toBe("5.7 %");
    expect(formatPercent(0.8734)).toBe("87 %");
    expect(formatPercent(1)).toBe("100 %");
  });

  it("formats sentiment with its sign", () => {
    expect(formatScore(0.4234)).toBe("+0.42");
    expect(formatScore(-0.1)).toBe("−0.10");
    expect(formatScore(0)).toBe("0.00");
    expect(formatScore(null)).toBe("—");
  });

  it("formats each KPI by its unit", () => {
    const kpis: Kpis = { ...NO_KPIS, calls_handled: 1234, service_level: 0.92, average_handle_time_s: 300, average_sentiment: 0.2 };
    expect(formatKpi("calls_handled", kpis)).toBe("1,234");
    expect(formatKpi("service_level", kpis)).toBe("92 %");
    expect(formatKpi("average_handle_time_s", kpis)).toBe("5 min");
    expect(formatKpi("average_sentiment", kpis)).toBe("+0.20");
    expect(formatKpi("utilization", kpis)).toBe("—");
  });

  it("takes the server's labels and definitions for the tiles' tooltips", () => {
    const info = kpiInfo([{ key: "calls_handled", label: "Calls handled", unit: "count", definition: "Calls an agent answered." }]);
    expect(info.map((kpi) => kpi.key)).toEqual(KPIS.map((kpi) => kpi.key));
    expect(info[0]).toEqual({ key: "calls_handled", unit: "count", label: "Calls handled", definition: "Calls an agent answered." });
    expect(info[1].definition).toBe("");
  });

  it("names whom an alert is about", () => {
    expect(alertScope("all", [])).toBeNull();
    expect(alertScope("agent:3", [{ id: 3, name: "Alex Agent" }])).toBe("Alex Agent");
    expect(alertScope("agent:4", [])).toBe("Agent #4");
  });

  it("names call reasons and puts the busiest agents first", () => {
    expect(reasonLabel("track_order")).toBe("Track order");
    expect(reasonLabel(null)).toBe("No reason");
    const row = (agent_id: number, agent_name: string, calls_handled: number): AgentRow => ({ ...NO_KPIS, agent_id, agent_name, calls_handled });
    expect(sortAgents([row(1, "Bo", 2), row(2, "Al", 5), row(3, "Ann", 2)]).map((agent) => agent.agent_name)).toEqual(["Al", "Ann", "Bo"]);
    expect(mergeAgentOptions([{ id: 1, name: "Bo" }], [row(2, "Al", 1), row(1, "Bo", 3)])).toEqual([
      { id: 2, name: "Al" },
      { id: 1, name: "Bo" },
    ]);
  });
});

describe("dashboard chart series", () => {
  it("every KPI is in one chart", () => {
    expect(CHARTS.flatMap((chart) => chart.keys).sort()).toEqual(KPIS.map((kpi) => kpi.key).sort());
  });

  it("lists every interval of the range, aligned as the server buckets them", () => {
    const day = bucketStarts(filters({ interval: "hour" }));
    expect(day).toHaveLength(24);
    expect(day[0]).toBe(Date.parse("2026-12-02T00:00:00Z") / 1000);
    expect(bucketStarts(filters({ interval: "15min" }))).toHaveLength(96);
    // 2026-12-02 is a Wednesday: its week starts on Monday 2026-11-30.
    expect(bucketStarts(filters({ interval: "week" }))).toEqual([Date.parse("2026-11-30T00:00:00Z") / 1000]);
    expect(bucketStarts(filters({ from: "2026-11-01", to: "2026-11-30", interval: "day" }))).toHaveLength(30);
  });

  it("reads bucket starts with or without a zone", () => {
    expect(bucketSeconds("2026-12-02T10:00:00Z")).toBe(Date.parse("2026-12-02T10:00:00Z") / 1000);
    expect(bucketSeconds("2026-12-02T10:00:00")).toBe(Date.parse("2026-12-02T10:00:00Z") / 1000);
    expect(bucketSeconds("2026-12-02T10:00:00+00:00")).toBe(Date.parse("2026-12-02T10:00:00Z") / 1000);
  });

  it("fills empty intervals: counts with 0, other KPIs with gaps", () => {
    const points: TimeseriesPoint[] = [
      { ...NO_KPIS, bucket_start: "2026-12-02T10:00:00Z", calls_handled: 3, average_handle_time_s: 240 },
      { ...NO_KPIS, bucket_start: "2026-12-02T12:00:00Z", calls_handled: 1, calls_abandoned: 1, average_handle_time_s: 120 },
    ];
    const volume = chartData(points, filters(), ["calls_handled", "calls_abandoned"]);
    expect(volume.x).toHaveLength(24);
    expect(volume.series[0].label).toBe("Calls handled");
    expect(volume.series[0].values.slice(9, 14)).toEqual([0, 3, 0, 1, 0]);
    expect(volume.series[1].values.slice(9, 14)).toEqual([0, 0, 0, 1, 0]);
    const times = chartData(points, filters(), ["average_handle_time_s"]);
    expect(times.series[0].values.slice(9, 14)).toEqual([null, 240, null, 120, null]);
    expect(chartSummary(volume, "count")).toBe("Calls handled: 4 in total; Calls abandoned: 1 in total.");
    expect(chartSummary(times, "seconds")).toBe("Average handle time: from 2 min to 4 min.");
    expect(chartSummary(chartData([], filters(), ["calls_handled"]), "count")).toBe("No calls in this period.");
  });

  it("labels interval starts in UTC", () => {
    const at = Date.parse("2026-12-02T10:15:00Z") / 1000;
    expect(formatBucket(at, "15min")).toBe("2026-12-02 10:15");
    expect(formatBucket(at, "day")).toBe("2026-12-02");
    expect(formatBucket(at, "week")).toBe("week of 2026-12-02");
  });
});
