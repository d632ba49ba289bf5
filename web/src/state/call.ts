// A call as one party sees it, built only from server messages (a pure reducer, easy to test).
import type {
  CallSummaryEvent,
  CallTransferred,
  CustomerContextEvent,
  Disposition,
  SentimentAlert,
  SentimentEvent,
  ServerMessage,
  SuggestionEvent,
} from "../lib/protocol";

export type Speaker = "customer" | "agent";

export interface TimelineEntry {
  key: string;
  seq: number | null;
  kind: "chat" | "transcript" | "system";
  speaker?: Speaker;
  author?: string;
  text: string;
  stableText?: string;
  final?: boolean;
  offsetMs: number;
  sentiment?: SentimentEvent;
}

export type CallPhase = "none" | "queued" | "active" | "ended";

export interface CallView {
  callId: string | null;
  phase: CallPhase;
  position: number | null;
  /** The server's estimate of the wait, in seconds (null: it cannot tell). */
  expectedWaitS: number | null;
  queueLength: number | null;
  agentName: string | null;
  customerName: string | null;
  channel: string | null;
  startedAt: string | null;
  endedAt: string | null;
  endedReason: string | null;
  endedBy: string | null;
  disposition: Disposition | null;
  lastSeq: number;
  timeline: TimelineEntry[];
  /** Staff only: who the caller is, how they feel, what to do next. */
  customer: CustomerContextEvent | null;
  sentiments: SentimentEvent[];
  alert: SentimentAlert | null;
  suggestion: SuggestionEvent | null;
  suggestionState: "new" | "accepted" | "dismissed";
  /** Every suggestion of the call, with what the agent did with it (for replay and review). */
  suggestions: SuggestionRecord[];
  otherPartyAway: Speaker | null;
  /** On hold since (ISO time); null when not on hold. */
  heldSince: string | null;
  /** Transferred and waiting for the next agent to answer (the customer stays connected). */
  transferring: boolean;
  /** The call's latest transfer, if any. */
  transfer: CallTransferred | null;
  wrapUpNotes: string | null;
  /** The post-call summary (staff only), logged a moment after the call ends. */
  summary: CallSummaryEvent | null;
  /** Why the call's recording stopped (staff only), or null. */
  recordingFailed: string | null;
}

export interface SuggestionRecord {
  suggestion: SuggestionEvent;
  state: "new" | "accepted" | "dismissed";
}

export function emptyCall(callId: string | null = null): CallView {
  return {
    callId,
    phase: callId ? "queued" : "none",
    position: null,
    expectedWaitS: null,
    queueLength: null,
    agentName: null,
    customerName: null,
    channel: null,
    startedAt: null,
    endedAt: null,
    endedReason: null,
    endedBy: null,
    disposition: null,
    lastSeq: 0,
    timeline: [],
    customer: null,
    sentiments: [],
    alert: null,
    suggestion: null,
    suggestionState: "new",
    suggestions: [],
    otherPartyAway: null,
    heldSince: null,
    transferring: false,
    transfer: null,
    wrapUpNotes: null,
    summary: null,
    recordingFailed: null,
  };
}

const END_REASONS: Record<string, string> = {
  hangup: "hung up",
  dropped: "connection lost",
  abandoned: "left the queue",
  shutdown: "server restarted",
};

export function describeEnd(view: CallView): string {
  const reason = END_REASONS[view.endedReason ?? ""] ?? view.endedReason ?? "";
  if (view.endedReason === "hangup" && view.endedBy) return `The ${view.endedBy} ${reason}.`;
  return reason ? `Call ended: ${reason}.` : "Call ended.";
}

/** What a waiting customer reads about their place in the queue. */
export function queueText(view: Pick<CallView, "position" | "expectedWaitS">): string {
  if (!view.position) return "Finding you an agent…";
  const place = view.position === 1 ? "You are next in line." : `You are number ${view.position} in line.`;
  return view.expectedWaitS === null ? place : `${place} ${waitText(view.expectedWaitS)}`;
}

/** The estimate in round words: precise seconds would promise more than an estimate can keep. */
export function waitText(seconds: number): string {
  if (seconds < 15) return "An agent should answer in a moment.";
  if (seconds < 60) return "Estimated wait: under a minute.";
  return `Estimated wait: about ${Math.round(seconds / 60)} min.`;
}

/** Keeps the timeline in spoken/typed order: an utterance sits where its speech began. */
export function insertSorted(timeline: TimelineEntry[], entry: TimelineEntry): TimelineEntry[] {
  let index = timeline.length;
  while (index > 0 && timeline[index - 1].offsetMs > entry.offsetMs) index -= 1;
  return [...timeline.slice(0, index), entry, ...timeline.slice(index)];
}

/** A hold's length in words ("40 s", "2 min 5 s"). */
export function formatHeld(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A transfer in the conversation, as both parties and supervisors read it. */
export function describeTransfer(message: Pick<CallTransferred, "from_agent_name" | "to" | "to_agent_name">): string {
  return message.to === "agent"
    ? `${message.from_agent_name} transferred the call to ${message.to_agent_name ?? "another agent"}`
    : `${message.from_agent_name} transferred the call back to the queue`;
}

function system(view: CallView, seq: number, offsetMs: number, text: string): TimelineEntry[] {
  return insertSorted(view.timeline, { key: `s${seq}`, seq, kind: "system", text, offsetMs });
}

/** Applies one server message; messages of other calls and repeats (seq already seen) change nothing. */
export function applyMessage(view: CallView, message: ServerMessage): CallView {
  if ("call_id" in message && message.call_id && view.callId && message.call_id !== view.callId) return view;
  const seq = "seq" in message && typeof message.seq === "number" ? message.seq : null;
  if (seq !== null && seq <= view.lastSeq) return view;
  const next = seq !== null ? { ...view, lastSeq: seq } : view;
  switch (message.type) {
    case "queue_position":
      return { ...next, position: message.position, queueLength: message.queue_length, expectedWaitS: message.expected_wait_s ?? null };
    case "call_queued":
      return { ...next, customerName: message.customer_name, channel: message.channel, phase: next.phase === "none" ? "queued" : next.phase };
    case "call_started":
      return {
        ...next,
        phase: "active",
        agentName: message.agent_name,
        // A transferred call keeps its first start: the call's duration is the caller's.
        startedAt: next.startedAt ?? message.at,
        position: null,
        transferring: false,
        timeline: system(next, message.seq, message.offset_ms, `${message.agent_name} joined the call`),
      };
    case "chat":
      return {
        ...next,
        timeline: insertSorted(next.timeline, {
          key: `c${message.seq}`,
          seq: message.seq,
          kind: "chat",
          speaker: message.speaker,
          author: message.author,
          text: message.text,
          offsetMs: message.offset_ms,
        }),
      };
    case "transcript":
      return applyTranscript(next, message);
    case "party_disconnected":
      return {
        ...next,
        otherPartyAway: message.speaker,
        timeline: system(next, message.seq, message.offset_ms, `The ${message.speaker}'s connection dropped; waiting up to ${Math.round(message.grace_seconds)} s for them to return`),
      };
    case "party_reconnected":
      return {
        ...next,
        otherPartyAway: null,
        timeline: system(next, message.seq, message.offset_ms, `The ${message.speaker} is back`),
      };
    case "call_held":
      return { ...next, heldSince: message.at, timeline: system(next, message.seq, message.offset_ms, "On hold") };
    case "call_resumed":
      return {
        ...next,
        heldSince: null,
        timeline: system(next, message.seq, message.offset_ms, `Back from hold after ${formatHeld(message.held_ms)}`),
      };
    case "call_transferred":
      return {
        ...next,
        heldSince: null,
        transferring: true,
        transfer: message,
        timeline: system(next, message.seq, message.offset_ms, describeTransfer(message)),
      };
    case "call_ended": {
      const ended = { ...next, phase: "ended" as const, heldSince: null, transferring: false, endedAt: message.at, endedReason: message.reason, endedBy: message.ended_by, position: null };
      return { ...ended, timeline: system(ended, message.seq, message.offset_ms, describeEnd(ended)) };
    }
    case "call_wrapped_up":
      return { ...next, disposition: message.disposition, wrapUpNotes: message.notes || null };
    case "customer_context":
      return { ...next, customer: message };
    case "sentiment":
      return {
        ...next,
        sentiments: [...next.sentiments, message],
        timeline: next.timeline.map((entry) => (entry.seq === message.utterance_seq ? { ...entry, sentiment: message } : entry)),
      };
    case "sentiment_alert":
      return { ...next, alert: message };
    case "suggestion":
      return { ...next, suggestion: message, suggestionState: "new", suggestions: [...next.suggestions, { suggestion: message, state: "new" }] };
    case "suggestion_feedback": {
      const state: SuggestionRecord["state"] = message.accepted ? "accepted" : "dismissed";
      const suggestions = next.suggestions.map((record) =>
        record.suggestion.suggestion_id === message.suggestion_id ? { ...record, state } : record,
      );
      return next.suggestion?.suggestion_id === message.suggestion_id
        ? { ...next, suggestionState: state, suggestions }
        : { ...next, suggestions };
    }
    case "call_summary":
      return { ...next, summary: message };
    case "recording_failed":
      return { ...next, recordingFailed: message.reason };
    default:
      return next;
  }
}

function applyTranscript(view: CallView, message: Extract<ServerMessage, { type: "transcript" }>): CallView {
  const key = `t${message.utterance_id}`;
  const entry: TimelineEntry = {
    key,
    seq: message.seq ?? null,
    kind: "transcript",
    speaker: message.speaker,
    text: message.text,
    stableText: message.stable_text,
    final: message.final,
    offsetMs: message.start_ms,
  };
  const index = view.timeline.findIndex((item) => item.key === key);
  if (index >= 0) {
    if (view.timeline[index].final) return view; // a late partial never replaces the final
    const timeline = [...view.timeline];
    timeline[index] = entry;
    return { ...view, timeline };
  }
  return { ...view, timeline: insertSorted(view.timeline, entry) };
}
