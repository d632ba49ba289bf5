import { describe, expect, it } from "vitest";
import { agentReducer, initialAgentView } from "../src/state/agent";

const offer = {
  type: "call_offer" as const, call_id: "c1", customer_name: "Jane", channel: "web", waited_seconds: 3,
  expires_at: "2026-11-24T10:00:15Z", timeout_seconds: 15,
};

describe("agent reducer", () => {
  it("rings on an offer and says why it stopped ringing", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "offered", call_id: "c1" });
    view = agentReducer(view, offer);
    expect(view.offer?.customer_name).toBe("Jane");
    view = agentReducer(view, { type: "offer_revoked", call_id: "c1", reason: "expired" });
    expect(view.offer).toBeNull();
    expect(view.notice).toMatch(/not answered in time/);
  });

  it("starts a fresh call view when a call begins and moves to wrap-up when it ends", () => {
    let view = agentReducer(initialAgentView, { type: "agent_state", status: "in_call", call_id: "c1" });
    expect(view.call.callId).toBe("c1");
    view = agentReducer(view, {
      type: "call_ended", call_id: "c1", seq: 5, at: "2026-11-24T10:01:00Z", offset_ms: 60000, reason: "hangup", ended_by: "customer",
    });
    view = agentReducer(view, { type: "agent_state", status: "wrap_up", call_id: "c1" });
    expect(view.status).toBe("wrap_up");
    expect(view.call.phase).toBe("ended");
    view = agentReducer(view, { type: "agent_state", status: "available", call_id: null });
    expect(view.call.callId).toBeNull();
  });
});
