import type { ReactNode } from "react";
import { describeEnd, type CallView } from "../state/call";
import { DISPOSITION } from "../state/supervisor";
import { StatusPill } from "./StatusPill";
import { Timer } from "./Timer";

interface CallHeaderProps {
  call: CallView;
  viewer: "agent" | "supervisor";
  /** Buttons on the right (End call, Stop watching). */
  actions?: ReactNode;
  /** A row under the header (the microphone). */
  children?: ReactNode;
}

/** Who the call is with, on which channel, for how long, and whether it is still going. */
export function CallHeader({ call, viewer, actions, children }: CallHeaderProps) {
  const ended = call.phase === "ended";
  const away = call.otherPartyAway;
  return (
    <div className={`card call-header call-header-${call.phase}`}>
      <div className="call-header-main">
        <div>
          <p className="eyebrow">{ended ? "Call ended" : call.phase === "active" ? "In a call with" : "Waiting"}</p>
          <h1>{call.customerName ?? "Customer"}</h1>
          <p className="call-meta muted">
            {call.channel && <span className="badge">{call.channel === "phone" ? "Phone" : "Web"}</span>}
            {viewer === "supervisor" && call.agentName && <span>Agent: {call.agentName}</span>}
            {call.disposition && (
              <StatusPill tone={DISPOSITION[call.disposition].tone}>{DISPOSITION[call.disposition].label}</StatusPill>
            )}
            {call.startedAt && (
              <span>
                {ended ? "Lasted " : ""}
                <Timer since={call.startedAt} until={call.endedAt ?? undefined} label="Call duration" />
              </span>
            )}
          </p>
        </div>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {ended && <p className="muted">{describeEnd(call)}</p>}
      {!ended && call.heldSince && (
        <p className="warn-text" role="status">
          On hold for <Timer since={call.heldSince} label="Time on hold" />
          {viewer === "agent" ? ": the customer does not hear you." : "."}
        </p>
      )}
      {!ended && away && (
        <p className="warn-text" role="status">
          The {away}'s connection dropped; waiting for them to return.
        </p>
      )}
      {children}
    </div>
  );
}
