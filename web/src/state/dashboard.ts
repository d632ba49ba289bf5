// The supervisor dashboard's data shaping: filters <-> query strings, KPI formatting, chart series.
import type { AgentRow, Kpis, KpiDefinition, KpiKey, MetricsInterval, ReasonRow, TimeseriesPoint } from "../lib/api";

export const INTERVALS: { value: MetricsInterval; label: string; seconds: number }[] = [
  { value: "15min", label: "15 minutes", seconds: 900 },
  { value: "hour", label: "Hour", seconds: 3600 },
  { value: "day", label: "Day", seconds: 86_400 },
  { value: "week", label: "Week", seconds: 604_800 },
];

export const CHANNELS = [
  { value: "web", label: "Web" },
  { value: "phone", label: "Phone" },
];

export const DISPOSITIONS = [
  { value: "resolved", label: "Resolved" },
  { value: "unresolved", label: "Unresolved" },
  { value: "escalated", label: "Escalated" },
  { value: "follow_up", label: "Follow-up" },
];

/** What the dashboard shows; empty strings mean "all". Dates are whole UTC days, both included. */
export interface DashboardFilters {
  from: string;
  to: string;
  interval: MetricsInterval;
  agentId: string;
  channel: string;
  disposition: string;
}

export type KpiUnit = "count" | "ratio" | "seconds" | "score";

/** Every KPI, in the order of the tiles; labels and definitions come from the server once loaded. */
export const KPIS: { key: KpiKey; unit: KpiUnit; label: string }[] = [
  { key: "calls_handled", unit: "count", label: "Calls handled" },
  { key: "calls_abandoned", unit: "count", label: "Calls abandoned" },
  { key: "service_level", unit: "ratio", label: "Service level" },
  { key: "average_speed_of_answer_s", unit: "seconds", label: "Average speed of answer" },
  { key: "average_handle_time_s", unit: "seconds", label: "Average handle time" },
  { key: "first_response_time_s", unit: "seconds", label: "First response time" },
  { key: "resolution_rate", unit: "ratio", label: "Resolution rate" },
  { key: "abandonment_rate", unit: "ratio", label: "Abandonment rate" },
  { key: "average_sentiment", unit: "score", label: "Average sentiment" },
  { key: "negative_call_share", unit: "ratio", label: "Calls ending negative" },
  { key: "suggestion_acceptance_rate", unit: "ratio", label: "Suggestion acceptance" },
  { key: "utilization", unit: "ratio", label: "Agent utilization" },
];

const KPI_UNIT = Object.fromEntries(KPIS.map((kpi) => [kpi.key, kpi.unit])) as Record<KpiKey, KpiUnit>;

/** Today as an ISO date in UTC, the server's day. */
export function utcDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function defaultFilters(now: Date): DashboardFilters {
  const today = utcDate(now);
  return { from: today, to: today, interval: "hour", agentId: "", channel: "", disposition: "" };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Filters from the page's address (so a view can be bookmarked), defaults for anything missing or malformed. */
export function filtersFromSearch(search: string, now: Date): DashboardFilters {
  const params = new URLSearchParams(search);
  const filters = defaultFilters(now);
  const from = params.get("from");
  const to = params.get("to");
  if (from && ISO_DATE.test(from)) filters.from = from;
  if (to && ISO_DATE.test(to)) filters.to = to;
  else if (from && ISO_DATE.test(from)) filters.to = filters.from;
  const interval = params.get("interval");
  if (INTERVALS.some((option) => option.value === interval)) filters.interval = interval as MetricsInterval;
  const agentId = params.get("agent_id");
  if (agentId && /^\d+$/.test(agentId)) filters.agentId = agentId;
  filters.channel = params.get("channel") ?? "";
  filters.disposition = params.get("disposition") ?? "";
  return filters;
}

/** The API's query string for these filters (`from`, `to`, ...), without the empty ones. */
export function metricsQuery(filters: DashboardFilters, withInterval = true): string {
  const params = new URLSearchParams({ from: filters.from, to: filters.to });
  if (withInterval) params.set("interval", filters.interval);
  if (filters.agentId) params.set("agent_id", filters.agentId);
  if (filters.channel) params.set("channel", filters.channel);
  if (filters.disposition) params.set("disposition", filters.disposition);
  return params.toString();
}

/** Today (UTC) with no agent, channel or disposition filter: the figures the live floor pushes. */
export function isPlainToday(filters: DashboardFilters, now: Date): boolean {
  const today = utcDate(now);
  return filters.from === today && filters.to === today && !filters.agentId && !filters.channel && !filters.disposition;
}

export type ExportTable = "summary" | "timeseries" | "agents" | "reasons";

export function csvUrl(table: ExportTable, filters: DashboardFilters): string {
  return `/api/metrics/export/${table}.csv?${metricsQuery(filters, table === "timeseries")}`;
}

export function reportUrl(filters: DashboardFilters): string {
  return `/api/metrics/report.xlsx?${metricsQuery(filters)}`;
}

/** A range the server would refuse, said before asking it. */
export function filtersProblem(filters: DashboardFilters): string | null {
  if (!ISO_DATE.test(filters.from) || !ISO_DATE.test(filters.to)) return "Choose both dates.";
  if (filters.to < filters.from) return "The end date is before the start date.";
  const days = (Date.parse(filters.to) - Date.parse(filters.from)) / 86_400_000 + 1;
  if (days > 400) return "Choose at most 400 days.";
  const seconds = INTERVALS.find((option) => option.value === filters.interval)!.seconds;
  if ((days * 86_400) / seconds > 5000) return "Too many intervals for this range: choose a longer interval.";
  return null;
}

const EMPTY = "—";

/** 42 -> "42 s", 185 -> "3 min 5 s", 3720 -> "1 h 2 min". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return EMPTY;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) {
    const rest = whole % 60;
    return rest ? `${Math.floor(whole / 60)} min ${rest} s` : `${whole / 60} min`;
  }
  const minutes = Math.round((whole % 3600) / 60);
  return minutes ? `${Math.floor(whole / 3600)} h ${minutes} min` : `${Math.floor(whole / 3600)} h`;
}

/** A ratio 0..1 as a percentage: one decimal below 10 %, whole points above. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return EMPTY;
  const percent = ratio * 100;
  const digits = percent !== 0 && Math.abs(percent) < 10 ? 1 : 0;
  return `${percent.toFixed(digits)} %`;
}

/** A sentiment score -1..1 with its sign. */
export function formatScore(score: number | null): string {
  if (score === null || !Number.isFinite(score)) return EMPTY;
  const text = Math.abs(score).toFixed(2);
  return score > 0.005 ? `+${text}` : score < -0.005 ? `−${text}` : text;
}

export function formatCount(count: number | null): string {
  return count === null ? EMPTY : count.toLocaleString("en-US");
}

export function formatValue(unit: KpiUnit, value: number | null): string {
  if (unit === "count") return formatCount(value);
  if (unit === "ratio") return formatPercent(value);
  if (unit === "seconds") return formatSeconds(value);
  return formatScore(value);
}

export function formatKpi(key: KpiKey, kpis: Partial<Kpis>): string {
  return formatValue(KPI_UNIT[key], kpis[key] ?? null);
}

export interface KpiInfo {
  key: KpiKey;
  unit: KpiUnit;
  label: string;
  definition: string;
}

/** The tiles' KPIs with the server's labels and definitions, where it has sent them. */
export function kpiInfo(definitions: KpiDefinition[]): KpiInfo[] {
  const byKey = new Map(definitions.map((definition) => [definition.key, definition]));
  return KPIS.map((kpi) => ({
    ...kpi,
    label: byKey.get(kpi.key)?.label ?? kpi.label,
    definition: byKey.get(kpi.key)?.definition ?? "",
  }));
}

/** What an agent's alert (not a KPI of its own) is called. */
const ALERT_LABELS: Record<string, string> = { negative_streak: "Negative calls in a row" };

export function kpiLabel(key: string, definitions: KpiDefinition[]): string {
  return (
    definitions.find((definition) => definition.key === key)?.label ??
    KPIS.find((kpi) => kpi.key === key)?.label ??
    ALERT_LABELS[key] ??
    key
  );
}

/** The columns of the per-agent table, as the issue lists them. */
export const AGENT_COLUMNS: KpiKey[] = [
  "calls_handled",
  "average_handle_time_s",
  "first_response_time_s",
  "resolution_rate",
  "average_sentiment",
  "suggestion_acceptance_rate",
  "utilization",
];

export const REASON_COLUMNS: KpiKey[] = [
  "calls_handled",
  "calls_abandoned",
  "average_handle_time_s",
  "resolution_rate",
  "average_sentiment",
  "negative_call_share",
];

/** Most calls first, then by name, so the busiest agents lead the board. */
export function sortAgents(rows: AgentRow[]): AgentRow[] {
  return [...rows].sort((a, b) => b.calls_handled - a.calls_handled || a.agent_name.localeCompare(b.agent_name));
}

/** "track_order" -> "Track order"; calls with no suggestion have no reason. */
export function reasonLabel(reason: string | null): string {
  if (!reason) return "No reason";
  const words = reason.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function reasonShare(row: ReasonRow, rows: ReasonRow[]): number | null {
  const total = rows.reduce((sum, each) => sum + each.calls_handled, 0);
  return total ? row.calls_handled / total : null;
}

/** The agents the filter can offer: those seen so far, by name, kept when the board is filtered to one. */
export function mergeAgentOptions(known: { id: number; name: string }[], rows: AgentRow[]): { id: number; name: string }[] {
  const byId = new Map(known.map((agent) => [agent.id, agent]));
  for (const row of rows) byId.set(row.agent_id, { id: row.agent_id, name: row.agent_name });
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Whom an alert is about: "agent:3" names the agent; "all" (the whole center) needs no label. */
export function alertScope(scope: string, agents: { id: number; name: string }[]): string | null {
  const agent = /^agent:(\d+)$/.exec(scope);
  if (agent) return agents.find((each) => each.id === Number(agent[1]))?.name ?? `Agent #${agent[1]}`;
  return scope === "all" ? null : scope;
}

/** The charts: every KPI appears in one of them, grouped by unit so an axis means one thing. */
export const CHARTS: { id: string; title: string; unit: KpiUnit; kind: "bars" | "lines"; keys: KpiKey[] }[] = [
  { id: "volume", title: "Call volume", unit: "count", kind: "bars", keys: ["calls_handled", "calls_abandoned"] },
  {
    id: "times",
    title: "Wait and handle times",
    unit: "seconds",
    kind: "lines",
    keys: ["average_speed_of_answer_s", "average_handle_time_s", "first_response_time_s"],
  },
  {
    id: "rates",
    title: "Rates",
    unit: "ratio",
    kind: "lines",
    keys: ["service_level", "resolution_rate", "abandonment_rate", "negative_call_share", "suggestion_acceptance_rate", "utilization"],
  },
  { id: "sentiment", title: "Customer sentiment", unit: "score", kind: "lines", keys: ["average_sentiment"] },
];

const WEEK_OFFSET_S = 4 * 86_400; // the epoch began on a Thursday; the server's weeks start on Monday

function intervalSeconds(interval: MetricsInterval): number {
  return INTERVALS.find((option) => option.value === interval)!.seconds;
}

/** Every interval start (epoch seconds) of the range, aligned as the server buckets them. */
export function bucketStarts(filters: DashboardFilters): number[] {
  const size = intervalSeconds(filters.interval);
  const offset = filters.interval === "week" ? WEEK_OFFSET_S : 0;
  const start = Date.parse(`${filters.from}T00:00:00Z`) / 1000;
  const end = Date.parse(`${filters.to}T00:00:00Z`) / 1000 + 86_400;
  const first = Math.floor((start - offset) / size) * size + offset;
  const starts: number[] = [];
  for (let at = first; at < end && starts.length <= 5000; at += size) starts.push(at);
  return starts;
}

/** Seconds since the epoch of the server's `bucket_start` (UTC, with or without a zone suffix). */
export function bucketSeconds(bucketStart: string): number {
  const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(bucketStart) ? bucketStart : `${bucketStart}Z`;
  return Date.parse(zoned) / 1000;
}

export interface ChartSeries {
  key: KpiKey;
  label: string;
  values: (number | null)[];
}

export interface ChartData {
  /** Interval starts, epoch seconds. */
  x: number[];
  series: ChartSeries[];
}

/**
 * One chart's series over every interval of the range. The server leaves out intervals with
 * nothing in them: counts are 0 there, the other KPIs have no value (a gap, not a zero).
 * Ratios stay 0..1; the chart's axis formats them.
 */
export function chartData(points: TimeseriesPoint[], filters: DashboardFilters, keys: KpiKey[], definitions: KpiDefinition[] = []): ChartData {
  const byStart = new Map(points.map((point) => [bucketSeconds(point.bucket_start), point]));
  const x = bucketStarts(filters);
  for (const at of byStart.keys()) if (!x.includes(at)) x.push(at);
  x.sort((a, b) => a - b);
  const series = keys.map((key) => ({
    key,
    label: kpiLabel(key, definitions),
    values: x.map((at) => {
      const point = byStart.get(at);
      if (!point) return KPI_UNIT[key] === "count" ? 0 : null;
      return point[key] ?? null;
    }),
  }));
  return { x, series };
}

/** An interval start as the charts and their tables label it (UTC, as the server counts). */
export function formatBucket(seconds: number, interval: MetricsInterval): string {
  const iso = new Date(seconds * 1000).toISOString();
  const day = iso.slice(0, 10);
  if (interval === "day") return day;
  if (interval === "week") return `week of ${day}`;
  return `${day} ${iso.slice(11, 16)}`;
}

/** One sentence for a chart's screen-reader summary: the totals or the range of each series. */
export function chartSummary(data: ChartData, unit: KpiUnit): string {
  if (data.series.every((series) => series.values.every((value) => value === null || value === 0))) {
    return "No calls in this period.";
  }
  return data.series
    .map((series) => {
      const values = series.values.filter((value): value is number => value !== null);
      if (unit === "count") return `${series.label}: ${formatCount(values.reduce((sum, value) => sum + value, 0))} in total`;
      if (values.length === 0) return `${series.label}: no data`;
      const low = formatValue(unit, Math.min(...values));
      const high = formatValue(unit, Math.max(...values));
      return low === high ? `${series.label}: ${low}` : `${series.label}: from ${low} to ${high}`;
    })
    .join("; ")
    .concat(".");
}
