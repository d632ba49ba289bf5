// Typed client of Earshot's REST API; errors become ApiError with the server's detail.
import type { CallStatus, CustomerMatch, Disposition, ServerMessage } from "./protocol";

export type { CustomerMatch };

export type Role = "agent" | "supervisor" | "admin";

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  is_active: boolean;
  created_at: string;
}

export interface CallSummary {
  call_id: string;
  status: CallStatus;
  channel: string;
  customer_name: string;
  customer_email: string | null;
  customer_phone: string | null;
  agent_id: number | null;
  agent_name: string | null;
  queued_at: string;
  answered_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
  ended_by: string | null;
  disposition: Disposition | null;
  notes: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** The server's `detail`: a string, or pydantic's list of `{loc, msg}` (422) made readable. */
export function detailText(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const field = Array.isArray(item?.loc) ? item.loc.filter((p: unknown) => p !== "body").join(".") : "";
        return field ? `${field}: ${item.msg}` : String(item?.msg ?? item);
      })
      .join("; ");
  }
  return "unexpected error";
}

let unauthorizedHandler: (() => void) | null = null;

/** Who to tell when a request comes back 401 (the session expired): the auth context. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await requestWithHeaders<T>(method, path, body)).data;
}

/** `request`, with the response's headers (where a route says what the next page is). */
export async function requestWithHeaders<T>(method: string, path: string, body?: unknown): Promise<{ data: T; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "Cannot reach the Earshot server. Check your connection.");
  }
  if (response.status === 204) return { data: undefined as T, headers: response.headers };
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith("/api/auth/")) unauthorizedHandler?.();
    const retry = response.headers.get("Retry-After");
    throw new ApiError(response.status, detailText(data.detail), retry ? Number(retry) : null);
  }
  return { data: data as T, headers: response.headers };
}


export interface Article {
  id: string;
  title: string;
  score: number;
  snippet: string;
}

export interface Ticket {
  id: number;
  subject: string;
  status: string;
  priority: string;
  created_at: string;
  updated_at: string;
}

/** An agent free to take a call (a transfer target). */
export interface AvailableAgent {
  agent_id: number;
  name: string;
}

export const api = {
  login: (username: string, password: string) =>
    request<{ user: User; token: string; expires_at: string }>("POST", "/api/auth/login", { username, password }),
  logout: () => request<void>("POST", "/api/auth/logout"),
  me: () => request<User>("GET", "/api/auth/me"),
  users: () => request<User[]>("GET", "/api/users"),
  createUser: (body: { username: string; display_name: string; password: string; role: Role }) =>
    request<User>("POST", "/api/users", body),
  updateUser: (id: number, body: Partial<{ display_name: string; role: Role; is_active: boolean; password: string }>) =>
    request<User>("PATCH", `/api/users/${id}`, body),
  recordingPolicy: () => request<{ enabled: boolean; retention_days: number }>("GET", "/api/recordings/policy"),
  startCall: (body: { name: string; email?: string; phone?: string }) =>
    request<{ call_id: string; token: string }>("POST", "/api/calls", body),
  searchCustomers: (q: string) => request<CustomerMatch[]>("GET", `/api/customers/search?q=${encodeURIComponent(q)}`),
  createTicket: (customerId: number, body: { subject: string; body?: string; priority?: string }) =>
    request<Ticket>("POST", `/api/customers/${customerId}/tickets`, body),
  updateTicket: (customerId: number, ticketId: number, body: { status?: string; priority?: string }) =>
    request<Ticket>("PATCH", `/api/customers/${customerId}/tickets/${ticketId}`, body),
  searchKnowledge: (q: string) => request<Article[]>("GET", `/api/assist/knowledge?q=${encodeURIComponent(q)}`),
  callEvents: (callId: string) => request<ServerMessage[]>("GET", `/api/calls/${encodeURIComponent(callId)}/events`),
  availableAgents: () => request<AvailableAgent[]>("GET", "/api/agents/available"),
  calls: (status?: string, limit = 20) =>
    request<CallSummary[]>("GET", `/api/calls?limit=${limit}${status ? `&status=${status}` : ""}`),
};

// Metrics (supervisors and admins): the same keys as src/earshot/metrics/schemas.py and the CSV columns.
export type MetricsInterval = "15min" | "hour" | "day" | "week";

export interface Kpis {
  calls_handled: number;
  calls_abandoned: number;
  service_level: number | null;
  average_speed_of_answer_s: number | null;
  average_handle_time_s: number | null;
  first_response_time_s: number | null;
  resolution_rate: number | null;
  abandonment_rate: number | null;
  average_sentiment: number | null;
  negative_call_share: number | null;
  suggestion_acceptance_rate: number | null;
  utilization: number | null;
}

export type KpiKey = keyof Kpis;

export interface MetricsSummary extends Kpis {
  from_date: string;
  to_date: string;
  service_level_seconds: number;
}

export interface TimeseriesPoint extends Kpis {
  bucket_start: string;
}

export interface AgentRow extends Kpis {
  agent_id: number;
  agent_name: string;
}

export interface ReasonRow extends Omit<Kpis, "utilization"> {
  reason: string | null;
  utilization?: undefined;
}

export interface KpiDefinition {
  key: string;
  label: string;
  unit: string;
  definition: string;
}

export interface MetricAlert {
  id: number;
  kpi: string;
  scope: string;
  bucket_start: string;
  value: number;
  baseline: number;
  score: number;
  message: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: number | null;
}

/** Each takes the query string the dashboard builds from its filters (state/dashboard.ts `metricsQuery`). */
export const metricsApi = {
  summary: (query: string) => request<MetricsSummary>("GET", `/api/metrics/summary?${query}`),
  timeseries: (query: string) => request<TimeseriesPoint[]>("GET", `/api/metrics/timeseries?${query}`),
  agents: (query: string) => request<AgentRow[]>("GET", `/api/metrics/agents?${query}`),
  reasons: (query: string) => request<ReasonRow[]>("GET", `/api/metrics/reasons?${query}`),
  definitions: () => request<KpiDefinition[]>("GET", "/api/metrics/definitions"),
  alerts: () => request<MetricAlert[]>("GET", "/api/metrics/alerts"),
  acknowledgeAlert: (id: number) => request<MetricAlert>("POST", `/api/metrics/alerts/${id}/acknowledge`),
};
