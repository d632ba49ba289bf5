import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../src/lib/protocol";
import { recordReceipt } from "../src/state/chatReceipts";
import { describeError, noticesReducer, TRANSIENT_MS, type Notice, type NoticeEvent } from "../src/state/notices";

type ErrorMessage = Extract<ServerMessage, { type: "error" }>;
const error = (code: ErrorMessage["code"], ref_type: string | null = null, message = "details", ref_id: string | null = null): ErrorMessage => ({
  type: "error", code, message, ref_type, ref_id,
});
const apply = (events: NoticeEvent[], start: Notice[] = []) => events.reduce(noticesReducer, start);
const chatEcho = (client_id: string | null): ServerMessage => ({
  type: "chat", call_id: "c1", seq: 4, at: "2026-11-24T10:00:09Z", offset_ms: 9000, speaker: "agent", author: "Alex", text: "hi", client_id,
});

describe("error notices", () => {
  it("coalesces repeats of one problem into one notice with a count", () => {
    const notices = apply([
      { kind: "error", error: error("rate_limited", "audio"), now: 1 },
      { kind: "error", error: error("rate_limited", "audio"), now: 2 },
      { kind: "error", error: error("not_found", "wrap_up"), now: 3 },
      { kind: "error", error: error("rate_limited", "audio"), now: 4 },
    ]);
    expect(notices.map((n) => [n.code, n.count])).toEqual([["not_found", 1], ["rate_limited", 3]]);
    expect(notices[1].text).toBe("You're sending audio faster than we can take it; some of what you said may be missing.");
  });

  it("clears a problem once the same action succeeds, and everything on a reconnect or a new call", () => {
    const failed = apply([
      { kind: "error", error: error("conflict", "end_call", "the call has already ended"), now: 1 },
      { kind: "error", error: error("forbidden", "set_availability"), now: 1 },
    ]);
    const ended: ServerMessage = { type: "call_ended", call_id: "c1", seq: 9, at: "2026-11-24T10:01:00Z", offset_ms: 60000, reason: "hangup", ended_by: "agent" };
    expect(noticesReducer(failed, { kind: "message", message: ended }).map((n) => n.refType)).toEqual(["set_availability"]);
    expect(noticesReducer(failed, { kind: "message", message: { type: "pong" } })).toBe(failed);
    expect(noticesReducer(failed, { kind: "connected" })).toEqual([]);
    const hello: ServerMessage = { type: "hello", role: "agent", user: null, call_id: null, server_version: "1" };
    expect(noticesReducer(failed, { kind: "message", message: hello })).toEqual([]);
  });

  it("lets a passing problem go once it stops repeating", () => {
    const notices = apply([
      { kind: "error", error: error("rate_limited", "chat"), now: 1000 },
      { kind: "error", error: error("not_found", "wrap_up"), now: 1000 },
    ]);
    expect(noticesReducer(notices, { kind: "tick", now: 1000 + TRANSIENT_MS - 1 })).toBe(notices);
    expect(noticesReducer(notices, { kind: "tick", now: 1000 + TRANSIENT_MS }).map((n) => n.code)).toEqual(["not_found"]);
  });

  it("leaves a refused chat line to the composer that kept it", () => {
    expect(apply([{ kind: "error", error: error("rate_limited", "chat", "slow down", "id-1"), now: 1 }])).toEqual([]);
  });

  it("words every code for a person", () => {
    const codes: ErrorMessage["code"][] = ["malformed", "unknown_type", "invalid", "too_large", "forbidden", "unauthorized", "not_found", "conflict", "rate_limited", "internal"];
    for (const code of codes) {
      const text = describeError(error(code, "chat", "text: String should have at most 2000 characters"));
      expect(text).toMatch(/^[A-Z].*[.]$/);
      expect(text).not.toContain(code);
    }
    expect(describeError(error("conflict", "chat", "chat is possible only while the call is in progress"))).toBe(
      "That can't be done right now: chat is possible only while the call is in progress.",
    );
  });
});

describe("chat receipts", () => {
  it("marks a line accepted by its echo and refused by an error naming it", () => {
    let receipts = recordReceipt({}, chatEcho("id-1"));
    expect(receipts["id-1"]).toEqual({ accepted: true });
    receipts = recordReceipt(receipts, error("rate_limited", "chat", "too many messages", "id-2"));
    expect(receipts["id-2"]).toMatchObject({ accepted: false, code: "rate_limited" });
    expect(recordReceipt(receipts, chatEcho(null))).toBe(receipts);
    expect(recordReceipt(receipts, error("rate_limited", "ping"))).toBe(receipts);
  });
});
