import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../src/lib/protocol";
import { applyMessage, emptyCall, queueText } from "../src/state/call";

const base = { call_id: "c1", at: "2026-11-24T10:00:00Z" };
const started: ServerMessage = { ...base, type: "call_started", seq: 3, offset_ms: 3000, agent_id: 1, agent_name: "Alex" };
const chat = (seq: number, text: string, speaker: "customer" | "agent" = "customer", offset = seq * 1000): ServerMessage => ({
  ...base, type: "chat", seq, offset_ms: offset, speaker, author: speaker, text, client_id: null,
});

describe("call reducer", () => {
  it("shows the queue position, then the agent once answered", () => {
    let view = applyMessage(emptyCall("c1"), { type: "queue_position", call_id: "c1", position: 2, queue_length: 3, expected_wait_s: null });
    expect(view.position).toBe(2);
    expect(queueText(view)).toBe("You are number 2 in line.");
    view = applyMessage(view, { type: "queue_position", call_id: "c1", position: 1, queue_length: 1, expected_wait_s: null });
    expect(queueText(view)).toBe("You are next in line.");
    view = applyMessage(view, started);
    expect(view.phase).toBe("active");
    expect(view.agentName).toBe("Alex");
    expect(view.position).toBeNull();
  });

  it("follows a hold and its resume, with the hold's length in the conversation", () => {
    let view = applyMessage(emptyCall("c1"), started);
    view = applyMessage(view, { ...base, type: "call_held", seq: 4, offset_ms: 4000, at: "2026-11-24T10:00:04Z" });
    expect(view.heldSince).toBe("2026-11-24T10:00:04Z");
    view = applyMessage(view, { ...base, type: "call_resumed", seq: 5, offset_ms: 69000, held_ms: 65000 });
    expect(view.heldSince).toBeNull();
    expect(view.timeline.map((entry) => entry.text).slice(-2)).toEqual(["On hold", "Back from hold after 1 min 5 s"]);
  });

  it("follows a transfer: the caller waits for the next agent, and the call keeps its first start", () => {
    let view = applyMessage(emptyCall("c1"), started);
    const transferred: ServerMessage = {
      ...base, type: "call_transferred", seq: 4, offset_ms: 9000, from_agent_id: 1, from_agent_name: "Alex",
      to: "agent", to_agent_id: 2, to_agent_name: "Blake", reason: null,
    };
    view = applyMessage(view, transferred);
    expect(view.transferring).toBe(true);
    expect(view.timeline.at(-1)?.text).toBe("Alex transferred the call to Blake");
    view = applyMessage(view, { ...started, seq: 6, offset_ms: 15000, at: "2026-11-24T10:00:15Z", agent_id: 2, agent_name: "Blake" });
    expect(view.transferring).toBe(false);
    expect(view.agentName).toBe("Blake");
    expect(view.startedAt).toBe(base.at);
    view = applyMessage(view, { ...transferred, seq: 7, offset_ms: 20000, from_agent_name: "Blake", to: "queue", to_agent_id: null, to_agent_name: null });
    expect(view.timeline.at(-1)?.text).toBe("Blake transferred the call back to the queue");
  });

  it("adds the estimated wait in round words when the server has one", () => {
    const at = (expected_wait_s: number | null) =>
      queueText(applyMessage(emptyCall("c1"), { type: "queue_position", call_id: "c1", position: 3, queue_length: 3, expected_wait_s }));
    expect(at(null)).toBe("You are number 3 in line.");
    expect(at(5)).toBe("You are number 3 in line. An agent should answer in a moment.");
    expect(at(40)).toBe("You are number 3 in line. Estimated wait: under a minute.");
    expect(at(250)).toBe("You are number 3 in line. Estimated wait: about 4 min.");
  });

  it("ignores events it has already seen and those of other calls", () => {
    let view = applyMessage(emptyCall("c1"), started);
    view = applyMessage(view, chat(4, "hello"));
    view = applyMessage(view, chat(4, "hello"));
    view = applyMessage(view, { ...chat(5, "elsewhere"), call_id: "c2" } as ServerMessage);
    expect(view.timeline.filter((e) => e.kind === "chat").map((e) => e.text)).toEqual(["hello"]);
    expect(view.lastSeq).toBe(4);
  });

  it("replaces a partial transcript with later partials and the final, never the other way", () => {
    const partial = (text: string, stable: string, final = false, seq: number | null = null): ServerMessage => ({
      ...base, type: "transcript", seq, offset_ms: 5000, speaker: "customer", utterance_id: "u1", final, text,
      stable_text: stable, start_ms: 4000, end_ms: 5000,
    });
    let view = applyMessage(emptyCall("c1"), partial("I forgot", ""));
    view = applyMessage(view, partial("I forgot my pass", "I forgot"));
    view = applyMessage(view, partial("I forgot my password.", "I forgot my password.", true, 7));
    view = applyMessage(view, partial("I forgot my", "I forgot"));
    const lines = view.timeline.filter((e) => e.kind === "transcript");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ text: "I forgot my password.", final: true });
  });

  it("orders speech and chat by when they began", () => {
    let view = applyMessage(emptyCall("c1"), chat(4, "typed later", "agent", 9000));
    view = applyMessage(view, {
      ...base, type: "transcript", seq: 5, offset_ms: 9500, speaker: "customer", utterance_id: "u1", final: true,
      text: "spoken first", stable_text: "spoken first", start_ms: 6000, end_ms: 8000,
    });
    expect(view.timeline.map((e) => e.text)).toEqual(["spoken first", "typed later"]);
  });

  it("explains how the call ended", () => {
    const view = applyMessage(applyMessage(emptyCall("c1"), started), {
      ...base, type: "call_ended", seq: 9, offset_ms: 9000, reason: "hangup", ended_by: "customer",
    });
    expect(view.phase).toBe("ended");
    expect(view.endedAt).toBe(base.at);
    expect(view.timeline.at(-1)?.text).toBe("The customer hung up.");
  });
});
