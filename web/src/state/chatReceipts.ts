// What became of the chat lines this client sent: the server echoes each accepted line with its
// `client_id`, and names a refused one by `ref_id`, so the composer can keep a line until then.
import type { ServerMessage } from "../lib/protocol";
import { describeError } from "./notices";

export type ChatReceipt = { accepted: true } | { accepted: false; code: string; reason: string };

export type ChatReceipts = Readonly<Record<string, ChatReceipt>>;

/** The receipts after one server message (the same object when it says nothing about our lines). */
export function recordReceipt(receipts: ChatReceipts, message: ServerMessage): ChatReceipts {
  if (message.type === "chat" && message.client_id) {
    return receipts[message.client_id]?.accepted ? receipts : { ...receipts, [message.client_id]: { accepted: true } };
  }
  if (message.type === "error" && message.ref_type === "chat" && message.ref_id) {
    return { ...receipts, [message.ref_id]: { accepted: false, code: message.code, reason: describeError(message) } };
  }
  return receipts;
}

let counter = 0;

/** A fresh id for a chat line: unique per page load, and across reloads by the time part. */
export function newChatId(): string {
  counter += 1;
  return `c-${Date.now().toString(36)}-${counter}`;
}
