import { describe, expect, it } from "vitest";
import type { Floor, FloorAgent, MetricAlert } from "../src/lib/protocol";
import { floorReducer, includesToday, initialFloorView, secondsSince, sortFloorAgents, todayKey } from "../src/state/floor";
import { initialSupervisorView, watchingFrom } from "../src/state/supervisor";
import { isPlainToday } from "../src/state/dashboard";

const KPIS = {
  calls_handled: 1, calls_abandoned: 0, service_level: 1, average_speed_of_answer_s: 4, average_handle_time_s: 90,
  first_response_time_s: 3, resolution_rate: 1, abandonment_rate: 0, average_sentiment: 0.2, negative_call_share: 0,
  suggestion_acceptance_rate: null, utilization: 0.5,
};

function agent(name: string, state: FloorAgent["state"]): FloorAgent {
  return { agent_id: name.length, agent_name: name, state, state_since: null, call_id: null, customer_name: null, sentiment: null, sentiment_label: null };
}

function floor(at: string, handled = 1): Floor {
  const queue = { waiting: 0, longest_waiting_since: null, longest_wait_s: null, expected_wait_s: 0, abandoned_last_hour: 0 };
  return { type: "floor", at, queue, agents: [], today: { ...KPIS, calls_handled: handled }, service_level_seconds: 20 };
}

describe("the live floor", () => {
  it("keeps the newest snapshot and drops one that arrives late", () => {
    const newer = floorReducer(initialFloorView, floor("2026-12-03T10:00:01Z", 2));
    expect(floorReducer(newer, floor("2026-12-03T10:00:00Z", 1)).floor?.today.calls_handled).toBe(2);
    expect(floorReducer(newer, floor("2026-12-03T10:00:02Z", 3)).floor?.today.calls_handled).toBe(3);
  });

  it("lists pushed alerts newest first, once each", () => {
    const alert = { type: "metric_alert", id: 7, kpi: "abandonment_rate", scope: "all", bucket_start: "2026-12-03T09:00:00Z", value: 0.5, baseline: 0, score: 9, message: "m", created_at: "2026-12-03T10:05:00Z" } as MetricAlert;
    const once = floorReducer(floorReducer(initialFloorView, alert), alert);
    expect(once.alerts.map((a) => a.id)).toEqual([7]);
  });

  it("puts busy agents first, offline ones last", () => {
    const sorted = sortFloorAgents([agent("Zed", "offline"), agent("Amy", "available"), agent("Bo", "in_call"), agent("Cy", "wrap_up")]);
    expect(sorted.map((a) => a.state)).toEqual(["in_call", "wrap_up", "available", "offline"]);
  });

  it("counts waits up from the snapshot's times, and says when today's figures moved", () => {
    expect(secondsSince("2026-12-03T10:00:00Z", Date.parse("2026-12-03T10:00:42Z"))).toBe(42);
    expect(secondsSince(null, Date.now())).toBeNull();
    expect(todayKey(floor("2026-12-03T10:00:00Z", 1))).not.toBe(todayKey(floor("2026-12-03T10:00:00Z", 2)));
    expect(todayKey(null)).toBe("");
  });

  it("knows which periods the floor's changes touch", () => {
    const now = new Date("2026-12-03T10:00:00Z");
    expect(includesToday("2026-12-01", "2026-12-03", now)).toBe(true);
    expect(includesToday("2026-11-01", "2026-11-30", now)).toBe(false);
    const today = { from: "2026-12-03", to: "2026-12-03", interval: "hour" as const, agentId: "", channel: "", disposition: "" };
    expect(isPlainToday(today, now)).toBe(true);
    expect(isPlainToday({ ...today, channel: "phone" }, now)).toBe(false);
  });

  it("opens the supervisor console on the call a floor link names", () => {
    const view = watchingFrom("0123456789abcdef0123456789abcdef");
    expect(view.watched.callId).toBe("0123456789abcdef0123456789abcdef");
    expect(view.live).toBe(true);
    expect(watchingFrom("not-a-call")).toBe(initialSupervisorView);
    expect(watchingFrom(null)).toBe(initialSupervisorView);
  });
});
