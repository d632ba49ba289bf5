// Errors the server reported, as a person reads them: worded for people, repeats coalesced, and
// cleared once the condition is gone (a reconnect, a new call, a later success, or time).
import type { ServerMessage } from "../lib/protocol";

type ErrorMessage = Extract<ServerMessage, { type: "error" }>;

export interface Notice {
  /** Same for repeats of one problem: the code and what it was about. */
  key: string;
  /** The server's code, kept for programs and support (shown small, and as `data-code`). */
  code: string;
  refType: string | null;
  text: string;
  count: number;
  lastAt: number;
}

export type NoticeEvent =
  | { kind: "error"; error: ErrorMessage; now: number }
  /** Any other server message: it may show that what failed now works. */
  | { kind: "message"; message: ServerMessage }
  /** The connection is (re)established: what the old one complained about is moot. */
  | { kind: "connected" }
  | { kind: "dismiss"; key: string }
  | { kind: "tick"; now: number };

/** How long a passing problem (too fast, audio trouble) stays up after its last repeat. */
export const TRANSIENT_MS = 10_000;

const AUDIO = new Set(["audio", "audio_start", "audio_stop"]);

/** The server's own words, as the end of one of our sentences. */
function detail(text: string): string {
  return text.trim().replace(/[.!?…]+$/, "");
}

/** One place that words every error code for a person; the server's own text fills in details. */
export function describeError(error: Pick<ErrorMessage, "code" | "message" | "ref_type">): string {
  const audio = AUDIO.has(error.ref_type ?? "");
  switch (error.code) {
    case "rate_limited":
      return audio
        ? "You're sending audio faster than we can take it; some of what you said may be missing."
        : "You're sending messages faster than we can take them; wait a moment, then try again.";
    case "too_large":
      return audio ? "Your microphone sent more audio at once than we accept." : "That was too long to send; shorten it and try again.";
    case "conflict":
      return audio ? "Audio is heard only while a call is in progress." : `That can't be done right now: ${detail(error.message)}.`;
    case "not_found":
      return "That call is not yours, or no longer exists.";
    case "forbidden":
      return "You're not allowed to do that.";
    case "unauthorized":
      return "You're no longer signed in to this call or console; reload the page.";
    case "invalid":
      return error.ref_type === "chat" ? `That message could not be sent: ${detail(error.message)}.` : `That was not accepted: ${detail(error.message)}.`;
    case "malformed":
    case "unknown_type":
      return "This page sent something the server did not understand; reload the page.";
    case "internal":
      return "Something went wrong on our side; please try again.";
    default:
      return detail(error.message) ? `${detail(error.message)}.` : "Something went wrong.";
  }
}

function keyOf(error: ErrorMessage): string {
  return `${error.code}:${error.ref_type ?? ""}`;
}

function isTransient(notice: Notice): boolean {
  return notice.code === "rate_limited" || AUDIO.has(notice.refType ?? "");
}

// The server messages that show an action of this `ref_type` now works.
const SUCCESS: Record<string, ServerMessage["type"][]> = {
  chat: ["chat"],
  end_call: ["call_ended"],
  wrap_up: ["call_wrapped_up"],
  set_availability: ["agent_state"],
  accept_offer: ["agent_state"],
  decline_offer: ["agent_state"],
  resume: ["resumed"],
  watch: ["resumed"],
  suggestion_feedback: ["suggestion_feedback"],
  attach_customer: ["customer_context"],
  ping: ["pong"],
};

// A new call, or the next one: nothing said about the previous one applies.
const FRESH_START = new Set<ServerMessage["type"]>(["hello", "call_offer", "call_started", "call_wrapped_up"]);

export function noticesReducer(notices: Notice[], event: NoticeEvent): Notice[] {
  switch (event.kind) {
    case "error": {
      const { error, now } = event;
      // A refused chat line is shown by the composer that kept it, with a retry.
      if (error.ref_type === "chat" && error.ref_id) return notices;
      const key = keyOf(error);
      const existing = notices.find((notice) => notice.key === key);
      if (existing) {
        const updated = { ...existing, count: existing.count + 1, lastAt: now, text: describeError(error) };
        return [...notices.filter((notice) => notice !== existing), updated];
      }
      const notice = { key, code: error.code, refType: error.ref_type ?? null, text: describeError(error), count: 1, lastAt: now };
      return [...notices, notice];
    }
    case "message": {
      if (notices.length === 0) return notices;
      if (FRESH_START.has(event.message.type)) return [];
      const type = event.message.type;
      const kept = notices.filter((notice) => !(SUCCESS[notice.refType ?? ""] ?? []).includes(type));
      return kept.length === notices.length ? notices : kept;
    }
    case "connected":
      return notices.length === 0 ? notices : [];
    case "dismiss":
      return notices.filter((notice) => notice.key !== event.key);
    case "tick": {
      const kept = notices.filter((notice) => !isTransient(notice) || event.now - notice.lastAt < TRANSIENT_MS);
      return kept.length === notices.length ? notices : kept;
    }
  }
}
