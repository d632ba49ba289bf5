// The supervisor console's state: every live call, and the one being watched.
import type { CallStatus, Disposition, LiveCall, ServerMessage } from "../lib/protocol";
import { applyMessage, emptyCall, type CallView } from "./call";
import type { Tone } from "./tone";

export interface SupervisorView {
  calls: LiveCall[];
  /** The call shown in the watch panel: followed live, or a finished call's history. */
  watched: CallView;
  live: boolean;
}

export const initialSupervisorView: SupervisorView = { calls: [], watched: emptyCall(), live: false };

export type SupervisorAction =
  | ServerMessage
  /** Start following a live call (its history then arrives over the socket); null: stop. */
  | { type: "watching"; call_id: string | null }
  /** Show a finished call from its event log (`GET /api/calls/{id}/events`). */
  | { type: "history"; call_id: string; events: ServerMessage[] };

export const CALL_STATUS: Record<CallStatus, { label: string; tone: Tone }> = {
  queued: { label: "Waiting", tone: "warn" },
  offered: { label: "Ringing", tone: "ringing" },
  active: { label: "In call", tone: "info" },
  ended: { label: "Ended", tone: "muted" },
};

export const DISPOSITION: Record<Disposition, { label: string; tone: Tone }> = {
  resolved: { label: "Resolved", tone: "ok" },
  unresolved: { label: "Unresolved", tone: "error" },
  escalated: { label: "Escalated", tone: "ringing" },
  follow_up: { label: "Follow-up", tone: "warn" },
};

/** A live call's clock: time in the call once answered, time waiting before. */
export function callClock(call: Pick<LiveCall, "queued_at" | "answered_at">): { since: string; label: string } {
  return call.answered_at ? { since: call.answered_at, label: "In call for" } : { since: call.queued_at, label: "Waiting for" };
}

/** The console's first state: following `callId` live when one is given (the socket then asks to watch it). */
export function watchingFrom(callId: string | null): SupervisorView {
  return callId && /^[0-9a-f]{32}$/.test(callId) ? { ...initialSupervisorView, watched: emptyCall(callId), live: true } : initialSupervisorView;
}

export function supervisorReducer(view: SupervisorView, action: SupervisorAction): SupervisorView {
  if (action.type === "watching") return { ...view, watched: emptyCall(action.call_id), live: action.call_id !== null };
  if (action.type === "history") {
    return { ...view, watched: action.events.reduce(applyMessage, emptyCall(action.call_id)), live: false };
  }
  if (action.type === "live_calls") return { ...view, calls: action.calls };
  if (!view.watched.callId || !view.live) return view;
  return { ...view, watched: applyMessage(view.watched, action) };
}
