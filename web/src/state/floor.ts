// The live floor on the dashboard: the newest snapshot the supervisor socket pushed, and alerts pushed live.
import type { Floor, FloorAgent, FloorAgentState, MetricAlert, ServerMessage } from "../lib/protocol";
import type { Tone } from "./tone";

export interface FloorView {
  floor: Floor | null;
  /** Metric alerts raised since the page opened, newest first (the REST list has the older ones). */
  alerts: MetricAlert[];
}

export const initialFloorView: FloorView = { floor: null, alerts: [] };

/** Snapshots replace each other whole; one older than what is shown (from a slower instance) is dropped. */
export function floorReducer(view: FloorView, message: ServerMessage): FloorView {
  if (message.type === "floor") {
    if (view.floor && Date.parse(message.at) < Date.parse(view.floor.at)) return view;
    return { ...view, floor: message };
  }
  if (message.type === "metric_alert") {
    return { ...view, alerts: [message, ...view.alerts.filter((alert) => alert.id !== message.id)] };
  }
  return view;
}

export const FLOOR_STATE: Record<FloorAgentState, { label: string; tone: Tone; order: number }> = {
  in_call: { label: "In call", tone: "info", order: 0 },
  offered: { label: "Ringing", tone: "ringing", order: 1 },
  wrap_up: { label: "Wrap-up", tone: "warn", order: 2 },
  available: { label: "Available", tone: "ok", order: 3 },
  unavailable: { label: "Unavailable", tone: "muted", order: 4 },
  offline: { label: "Offline", tone: "muted", order: 5 },
};

/** Busy agents first (those a supervisor may want to watch), then available, away, offline; by name within. */
export function sortFloorAgents(agents: FloorAgent[]): FloorAgent[] {
  return [...agents].sort(
    (a, b) => FLOOR_STATE[a.state].order - FLOOR_STATE[b.state].order || a.agent_name.localeCompare(b.agent_name),
  );
}

/** Seconds from an ISO time to `now` (ms), never negative; null without a time. */
export function secondsSince(iso: string | null, now: number): number | null {
  return iso === null ? null : Math.max(0, (now - Date.parse(iso)) / 1000);
}

/** Whether the dashboard's range includes today (UTC): then the floor's changes change its figures too. */
export function includesToday(from: string, to: string, now: Date): boolean {
  const today = now.toISOString().slice(0, 10);
  return from <= today && today <= to;
}

/** Changes whenever today's figures do: the dashboard reloads its period then, instead of polling. */
export function todayKey(floor: Floor | null): string {
  return floor ? JSON.stringify(floor.today) : "";
}
