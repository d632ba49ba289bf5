import { describe, expect, it } from "vitest";
import { agentBadge, agentReducer, canToggleAvailability, initialAgentView } from "../src/state/agent";

const offer = {
  type: "call_offer" as const, call_id: "c1", customer_name: "Jane", channel: "web", waited_seconds: 3,
  expires_at: "2026-11-24T10:00:15Z", timeout_seconds: 15,
};

describe("agent reducer", () => {
  it("rings on an offer and says why it stopped ringing", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "offered", call_id: "c1", reason: null });
    view = agentReducer(view, offer);
    expect(view.offer?.customer_name).toBe("Jane");
    view = agentReducer(view, { type: "offer_revoked", call_id: "c1", reason: "expired" });
    expect(view.offer).toBeNull();
    expect(view.notice).toMatch(/not answered in time/);
  });

  it("starts a fresh call view when a call begins and moves to wrap-up when it ends", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "in_call", call_id: "c1", reason: null });
    expect(view.call.callId).toBe("c1");
    view = agentReducer(view, {
      type: "call_ended", call_id: "c1", seq: 5, at: "2026-11-24T10:01:00Z", offset_ms: 60000, reason: "hangup", ended_by: "customer",
    });
    view = agentReducer(view, { type: "agent_state", status: "wrap_up", call_id: "c1", reason: null });
    expect(view.status).toBe("wrap_up");
    expect(view.call.phase).toBe("ended");
    view = agentReducer(view, { type: "agent_state", status: "available", call_id: null, reason: null });
    expect(view.call.callId).toBeNull();
  });

  it("leaves a call the agent transferred, saying where it went, whichever of the two messages comes first", () => {
    const transferred = {
      type: "call_transferred" as const, call_id: "c1", seq: 6, at: "2026-11-24T10:01:00Z", offset_ms: 60000,
      from_agent_id: 4, from_agent_name: "Alex", to: "agent" as const, to_agent_id: 7, to_agent_name: "Blake", reason: null,
    };
    const hello = { type: "hello" as const, role: "agent" as const, server_version: "1", call_id: null,
      user: { id: 4, username: "agent1", display_name: "Alex", role: "agent" } };
    let inCall = agentReducer(agentReducer(initialAgentView, hello), { type: "agent_state", status: "in_call", call_id: "c1", reason: null });
    inCall = agentReducer(inCall, {
      type: "call_queued", call_id: "c1", seq: 1, at: "2026-11-24T10:00:00Z", offset_ms: 0, customer_name: "Jane", channel: "web",
    });
    const available = { type: "agent_state" as const, status: "available" as const, call_id: null, reason: null };

    const eventFirst = agentReducer(agentReducer(inCall, transferred), available);
    expect(eventFirst.call.callId).toBeNull();
    expect(eventFirst.notice).toBe("You transferred Jane to Blake.");
    const stateFirst = agentReducer(agentReducer(inCall, available), transferred);
    expect(stateFirst.call.callId).toBeNull();
    expect(stateFirst.notice).toBe("You transferred Jane to Blake.");
  });

  it("ignores the revocation of an offer it is not showing", () => {
    let view = agentReducer(initialAgentView, offer);
    view = agentReducer(view, { type: "offer_revoked", call_id: "other", reason: "customer_left" });
    expect(view.offer?.call_id).toBe("c1");
  });

  it("drops the ringing card once the server says the call is in progress, and follows that call", () => {
    let view = agentReducer(agentReducer(initialAgentView, { type: "agent_state", status: "offered", call_id: "c1", reason: null }), offer);
    view = agentReducer(view, { type: "agent_state", status: "in_call", call_id: "c1", reason: null });
    expect(view.offer).toBeNull();
    view = agentReducer(view, {
      type: "call_queued", call_id: "c1", seq: 1, at: "2026-11-24T10:00:00Z", offset_ms: 0, customer_name: "Jane", channel: "web",
    });
    view = agentReducer(view, {
      type: "call_started", call_id: "c1", seq: 3, at: "2026-11-24T10:00:05Z", offset_ms: 5000, agent_id: 1, agent_name: "Alex",
    });
    expect(view.call).toMatchObject({ callId: "c1", phase: "active", customerName: "Jane", channel: "web" });
  });

  it("keeps the call on screen through wrap-up, where availability cannot be switched", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "in_call", call_id: "c1", reason: null });
    view = agentReducer(view, {
      type: "chat", call_id: "c1", seq: 4, at: "2026-11-24T10:00:09Z", offset_ms: 9000, speaker: "customer", author: "Jane", text: "thanks", client_id: null,
    });
    view = agentReducer(view, { type: "agent_state", status: "wrap_up", call_id: "c1", reason: null });
    expect(view.call.timeline.map((entry) => entry.text)).toEqual(["thanks"]);
    expect(canToggleAvailability(view.status)).toBe(false);
    expect(canToggleAvailability("available")).toBe(true);
  });

  it("names the away reason on the badge, and forgets it once available", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "unavailable", call_id: null, reason: "meeting" });
    expect(agentBadge(view)).toEqual({ label: "In a meeting", tone: "muted" });
    view = agentReducer(view, { type: "agent_state", status: "available", call_id: null, reason: null });
    expect(view.reason).toBeNull();
    expect(agentBadge(view).label).toBe("Available");
  });
});
