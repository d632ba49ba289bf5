// The agent console's state: availability, the ringing offer, and the current call.
import type { AgentStatus, AwayReason, CallOffer, CallTransferred, ServerMessage } from "../lib/protocol";
import type { Tone } from "./tone";
import { applyMessage, emptyCall, type CallView } from "./call";

export interface AgentView {
  status: AgentStatus;
  /** While unavailable: why, as the agent said (null: just not ready, or a missed call). */
  reason: AwayReason | null;
  offer: CallOffer | null;
  notice: string | null;
  call: CallView;
  /** This agent's user id (from `hello`): tells their own transfer from one replayed to the next agent. */
  userId: number | null;
  /** The call the agent last handed on, until its transfer event arrives (it may come after their new state). */
  handedOn: { callId: string; customerName: string | null } | null;
}

export const initialAgentView: AgentView = { status: "unavailable", reason: null, offer: null, notice: null, call: emptyCall(), userId: null, handedOn: null };

const REVOKED: Record<string, string> = {
  // Honest whether or not another agent was free: the caller waits in line for the next one.
  expired: "The call was not answered in time, so you are now unavailable. The caller stays in line for the next free agent.",
  declined: "You declined the call.",
  customer_left: "The caller hung up before you answered.",
  disconnected: "The offer was withdrawn because your connection dropped.",
};

export const AGENT_STATUS: Record<AgentStatus, { label: string; tone: Tone }> = {
  unavailable: { label: "Not available", tone: "muted" },
  available: { label: "Available", tone: "ok" },
  offered: { label: "Ringing", tone: "ringing" },
  in_call: { label: "In a call", tone: "info" },
  wrap_up: { label: "Wrap-up", tone: "warn" },
};

/** The reasons an agent can give for being away, as the badge and the picker name them. */
export const AWAY_REASONS: Record<AwayReason, string> = {
  break: "On a break",
  lunch: "At lunch",
  meeting: "In a meeting",
  training: "In training",
  other: "Away",
};

/** The badge: the server's state, with the away reason when there is one. */
export function agentBadge(view: Pick<AgentView, "status" | "reason">): { label: string; tone: Tone } {
  if (view.status === "unavailable" && view.reason) return { label: AWAY_REASONS[view.reason], tone: "muted" };
  return AGENT_STATUS[view.status];
}

/** The availability switch only works between calls; during one the server decides. */
export function canToggleAvailability(status: AgentStatus): boolean {
  return status === "available" || status === "unavailable";
}

/** What the console says once the agent has handed a call on. */
export function transferNotice(transfer: Pick<CallTransferred, "to" | "to_agent_name"> | null, customer: string | null): string {
  const who = customer ?? "the caller";
  if (transfer === null) return `You transferred ${who}.`;
  return transfer.to === "agent" ? `You transferred ${who} to ${transfer.to_agent_name}.` : `You sent ${who} back to the queue.`;
}

export function agentReducer(view: AgentView, message: ServerMessage): AgentView {
  switch (message.type) {
    case "agent_state": {
      const callId = message.status === "in_call" || message.status === "wrap_up" ? (message.call_id ?? null) : null;
      const call = callId === view.call.callId ? view.call : callId ? emptyCall(callId) : emptyCall();
      const offer = message.status === "offered" ? view.offer : null;
      // From a call straight to available is a transfer (an end goes to wrap-up first).
      const transferred = view.status === "in_call" && message.status === "available";
      const notice = transferred ? transferNotice(view.call.transfer, view.call.customerName) : view.notice;
      const handedOn =
        transferred && view.call.callId && !view.call.transfer ? { callId: view.call.callId, customerName: view.call.customerName } : null;
      return { ...view, status: message.status, reason: message.reason ?? null, call, offer, notice, handedOn };
    }
    case "hello":
      return { ...view, userId: message.user?.id ?? null };
    case "call_transferred":
      // The agent's own transfer, once their seat has already moved on (the state can come first).
      if (!view.call.callId && message.from_agent_id === view.userId && view.handedOn?.callId === message.call_id) {
        return { ...view, notice: transferNotice(message, view.handedOn.customerName), handedOn: null };
      }
      return view.call.callId ? { ...view, call: applyMessage(view.call, message) } : view;
    case "call_offer":
      return { ...view, offer: message, notice: null };
    case "offer_revoked":
      return view.offer?.call_id === message.call_id
        ? { ...view, offer: null, notice: REVOKED[message.reason] ?? "The offer was withdrawn." }
        : view;
    default:
      if (!view.call.callId) return view;
      return { ...view, call: applyMessage(view.call, message) };
  }
}
