// The supervisor console's state: every live call, and the one being watched.
import type { LiveCall, ServerMessage } from "../lib/protocol";
import { applyMessage, emptyCall, type CallView } from "./call";

export interface SupervisorView {
  calls: LiveCall[];
  watched: CallView;
}

export const initialSupervisorView: SupervisorView = { calls: [], watched: emptyCall() };

export type SupervisorAction = ServerMessage | { type: "watching"; call_id: string | null };

export function supervisorReducer(view: SupervisorView, action: SupervisorAction): SupervisorView {
  if (action.type === "watching") return { ...view, watched: emptyCall(action.call_id) };
  if (action.type === "live_calls") return { ...view, calls: action.calls };
  if (!view.watched.callId) return view;
  return { ...view, watched: applyMessage(view.watched, action) };
}
