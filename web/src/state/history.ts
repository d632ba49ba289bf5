// The call history page's filters: to and from the address (so a search can be shared) and the
// query of `GET /api/history` / `GET /api/history.csv` (docs/history.md); and its typed client.
import { request, requestWithHeaders, type CallSummary } from "../lib/api";
import { extendScript, replayScript, type ReplayScript } from "./replay";

export interface HistoryItem extends CallSummary {
  lowest_sentiment: number | null;
  had_alert: boolean;
  summary: string | null;
}

export interface HistoryPage {
  items: HistoryItem[];
  next_cursor: string | null;
}

export type HistorySort = "newest" | "oldest" | "lowest_sentiment";

/** What the page's form holds; "" means "any". Dates are the browser's local days (YYYY-MM-DD). */
export interface HistoryFilters {
  from: string;
  to: string;
  agentId: string;
  customer: string;
  channel: string;
  disposition: string;
  endReason: string;
  sentiment: string;
  hadAlert: string;
  q: string;
  sort: HistorySort;
}

export const EMPTY_HISTORY_FILTERS: HistoryFilters = {
  from: "", to: "", agentId: "", customer: "", channel: "", disposition: "", endReason: "", sentiment: "", hadAlert: "", q: "", sort: "newest",
};

export const SORTS: { value: HistorySort; label: string }[] = [
  { value: "newest", label: "Newest first" },
  { value: "oldest", label: "Oldest first" },
  { value: "lowest_sentiment", label: "Most negative first" },
];

export const END_REASONS = [
  { value: "hangup", label: "Hung up" },
  { value: "dropped", label: "Dropped" },
  { value: "abandoned", label: "Abandoned" },
  { value: "shutdown", label: "Server shutdown" },
];

/** "Lowest sentiment" choices: the most negative customer line scored at most this. */
export const SENTIMENT_LEVELS = [
  { value: "-0.6", label: "Very negative (≤ -0.6)" },
  { value: "-0.3", label: "Negative (≤ -0.3)" },
  { value: "0", label: "Not positive (≤ 0)" },
];

/** The address's parameter for each filter (short and readable). */
const ADDRESS_KEYS: Record<keyof HistoryFilters, string> = {
  from: "from", to: "to", agentId: "agent", customer: "customer", channel: "channel", disposition: "disposition",
  endReason: "end", sentiment: "sentiment", hadAlert: "alert", q: "q", sort: "sort",
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromAddress(params: URLSearchParams): HistoryFilters {
  const filters = { ...EMPTY_HISTORY_FILTERS };
  for (const [field, key] of Object.entries(ADDRESS_KEYS) as [keyof HistoryFilters, string][]) {
    const value = params.get(key);
    if (value !== null) (filters as Record<keyof HistoryFilters, string>)[field] = value;
  }
  if (!SORTS.some((sort) => sort.value === filters.sort)) filters.sort = "newest";
  if (filters.from && !DAY.test(filters.from)) filters.from = "";
  if (filters.to && !DAY.test(filters.to)) filters.to = "";
  return filters;
}

export function filtersToAddress(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [field, key] of Object.entries(ADDRESS_KEYS) as [keyof HistoryFilters, string][]) {
    const value = filters[field].trim();
    if (value && !(field === "sort" && value === "newest")) params.set(key, value);
  }
  return params;
}

/** Midnight of a local day, as the instant the API compares `queued_at` with. */
function startOfDay(day: string, plusDays = 0): string {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date + plusDays).toISOString();
}

/** The API's query: `to` includes its whole day. */
export function historyQuery(filters: HistoryFilters, cursor: string | null = null, limit = 25): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.from) params.set("since", startOfDay(filters.from));
  if (filters.to) params.set("until", startOfDay(filters.to, 1));
  const plain: [keyof HistoryFilters, string][] = [
    ["agentId", "agent_id"], ["customer", "customer"], ["channel", "channel"], ["disposition", "disposition"],
    ["endReason", "end_reason"], ["sentiment", "lowest_sentiment_max"], ["hadAlert", "had_alert"], ["q", "q"],
  ];
  for (const [field, key] of plain) {
    const value = filters[field].trim();
    if (value) params.set(key, value);
  }
  params.set("sort", filters.sort);
  if (cursor) params.set("cursor", cursor);
  params.set("limit", String(limit));
  return params;
}

/** The CSV of every call the filters match (the server ignores paging there). */
export function historyCsvHref(filters: HistoryFilters): string {
  const params = historyQuery(filters);
  params.delete("limit");
  return `/api/history.csv?${params}`;
}

export type ExportFormat = "json" | "txt" | "vtt" | "srt";

export const EXPORT_FORMATS: { format: ExportFormat; label: string; description: string }[] = [
  { format: "json", label: "JSON", description: "the event log" },
  { format: "txt", label: "Text", description: "the transcript" },
  { format: "vtt", label: "WebVTT", description: "captions" },
  { format: "srt", label: "SRT", description: "captions" },
];

export function exportHref(callId: string, format: ExportFormat): string {
  return `/api/calls/${encodeURIComponent(callId)}/export?format=${format}`;
}

/** A page of a call's log, and the `after_seq` of the next one (null at the end). */
export interface LogPage {
  events: unknown;
  nextAfterSeq: number | null;
}

export const historyApi = {
  page: (filters: HistoryFilters, cursor: string | null) => request<HistoryPage>("GET", `/api/history?${historyQuery(filters, cursor)}`),
  /** Up to `limit` events of the call's log after `afterSeq` (agents: their own calls, as for the export). */
  logPage: async (callId: string, afterSeq: number, limit: number): Promise<LogPage> => {
    const path = `/api/calls/${encodeURIComponent(callId)}/events?after_seq=${afterSeq}&limit=${limit}`;
    const { data, headers } = await requestWithHeaders<unknown>("GET", path);
    const next = headers.get("X-Next-After-Seq");
    return { events: data, nextAfterSeq: next === null ? null : Number(next) };
  },
};

/** Events in the first page of a replay: a few minutes of a call, read in a few milliseconds. */
export const REPLAY_FIRST_PAGE = 200;
/** Events in each later page, read while the first ones play (the route's most). */
export const REPLAY_PAGE = 1000;

/**
 * Reads a call's log a page at a time for its replay: `show` gets the script of the first page at
 * once, then the script of everything read so far after each page, the last one `complete`.
 * Stops when `wanted` says the page has moved on; a failed read throws (what was shown stays).
 */
export async function readReplayLog(
  callId: string,
  show: (script: ReplayScript) => void,
  wanted: () => boolean,
  readPage: typeof historyApi.logPage = historyApi.logPage,
): Promise<void> {
  let page = await readPage(callId, 0, REPLAY_FIRST_PAGE);
  let script = replayScript(callId, page.events, page.nextAfterSeq === null);
  while (wanted()) {
    show(script);
    if (page.nextAfterSeq === null) return;
    page = await readPage(callId, page.nextAfterSeq, REPLAY_PAGE);
    script = extendScript(script, page.events, page.nextAfterSeq === null);
  }
}

/** A sentiment score as people read it. */
export function sentimentText(score: number | null): string {
  if (score === null) return "—";
  const label = score <= -0.3 ? "negative" : score >= 0.3 ? "positive" : "neutral";
  return `${score.toFixed(2)} ${label}`;
}
