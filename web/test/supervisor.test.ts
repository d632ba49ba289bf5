import { describe, expect, it } from "vitest";
import type { LiveCall, ServerMessage } from "../src/lib/protocol";
import { callClock, initialSupervisorView, supervisorReducer } from "../src/state/supervisor";

const live: LiveCall = {
  call_id: "c1", status: "active", channel: "web", customer_name: "Jane", agent_name: "Alex",
  queued_at: "2026-11-24T10:00:00Z", answered_at: "2026-11-24T10:00:20Z",
};
const chat = (call_id: string, seq: number, text: string): ServerMessage => ({
  type: "chat", call_id, seq, at: "2026-11-24T10:00:30Z", offset_ms: seq * 1000, speaker: "customer", author: "Jane", text, client_id: null,
});

describe("supervisor reducer", () => {
  it("replaces the live call list with every update", () => {
    let view = supervisorReducer(initialSupervisorView, { type: "live_calls", calls: [live] });
    expect(view.calls).toHaveLength(1);
    view = supervisorReducer(view, { type: "live_calls", calls: [] });
    expect(view.calls).toEqual([]);
  });

  it("follows only the watched call, and a replay after a reconnect adds nothing twice", () => {
    let view = supervisorReducer(initialSupervisorView, chat("c1", 1, "ignored: not watching yet"));
    expect(view.watched.timeline).toHaveLength(0);
    view = supervisorReducer(view, { type: "watching", call_id: "c1" });
    view = supervisorReducer(view, chat("c1", 1, "hello"));
    view = supervisorReducer(view, chat("c2", 2, "another call"));
    view = supervisorReducer(view, chat("c1", 1, "hello")); // replayed by a second `watch`
    view = supervisorReducer(view, chat("c1", 2, "my order"));
    expect(view.watched.timeline.map((entry) => entry.text)).toEqual(["hello", "my order"]);
  });

  it("starts afresh when another call is watched", () => {
    let view = supervisorReducer(initialSupervisorView, { type: "watching", call_id: "c1" });
    view = supervisorReducer(view, chat("c1", 1, "hello"));
    view = supervisorReducer(view, { type: "watching", call_id: "c2" });
    expect(view.watched.callId).toBe("c2");
    expect(view.watched.timeline).toEqual([]);
  });

  it("times a call from its answer, and a waiting call from when it queued", () => {
    expect(callClock(live)).toEqual({ since: live.answered_at, label: "In call for" });
    expect(callClock({ ...live, answered_at: null })).toEqual({ since: live.queued_at, label: "Waiting for" });
  });
});

describe("supervisor reducer, finished calls", () => {
  it("shows a finished call from its event log, and live events of other calls do not leak in", () => {
    const events: ServerMessage[] = [
      { type: "call_queued", call_id: "old", seq: 1, at: "2026-11-24T09:00:00Z", offset_ms: 0, customer_name: "Ann", channel: "web" },
      chat("old", 2, "my invoice is wrong"),
      { type: "call_ended", call_id: "old", seq: 3, at: "2026-11-24T09:05:00Z", offset_ms: 300000, reason: "hangup", ended_by: "customer" },
      { type: "call_wrapped_up", call_id: "old", seq: 4, at: "2026-11-24T09:06:00Z", offset_ms: 360000, disposition: "resolved", notes: "" },
    ];
    let view = supervisorReducer(initialSupervisorView, { type: "watching", call_id: "c1" });
    view = supervisorReducer(view, { type: "history", call_id: "old", events });
    expect(view.live).toBe(false);
    expect(view.watched).toMatchObject({ callId: "old", customerName: "Ann", phase: "ended", disposition: "resolved" });
    view = supervisorReducer(view, chat("old", 5, "not live: ignored"));
    expect(view.watched.timeline.filter((entry) => entry.kind === "chat")).toHaveLength(1);
  });
});
