import { AppHeader } from "../components/AppHeader";
import { AssistPanel } from "../components/AssistPanel";
import { Composer } from "../components/Composer";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { ErrorList } from "../components/ErrorList";
import { Microphone } from "../components/Microphone";
import { OfferCard } from "../components/OfferCard";
import { Timeline } from "../components/Timeline";
import { Timer } from "../components/Timer";
import { WrapUpForm } from "../components/WrapUpForm";
import { agentReducer, initialAgentView } from "../state/agent";
import { describeEnd } from "../state/call";
import { useCallSocket } from "../state/useCallSocket";

const STATUS_LABEL = {
  unavailable: "Not available",
  available: "Available",
  offered: "Ringing",
  in_call: "In a call",
  wrap_up: "Wrap-up",
} as const;

/** The agent console: availability, incoming calls, the live call and its wrap-up. */
export function AgentPage() {
  const [view, socket] = useCallSocket(
    (state) => `/ws/agent?last_seq=${state.call.lastSeq}`,
    agentReducer,
    initialAgentView,
    (state) => (state.call.callId ? [{ type: "resume", call_id: state.call.callId, last_seq: state.call.lastSeq }] : []),
  );
  const { call } = view;
  const canToggle = view.status === "available" || view.status === "unavailable";

  return (
    <div className="console">
      <AppHeader>
        <ConnectionBanner status={socket.status} />
        <span className={`pill status-${view.status}`} aria-live="polite">
          {STATUS_LABEL[view.status]}
        </span>
        <label className="toggle">
          <input
            type="checkbox"
            checked={view.status !== "unavailable"}
            disabled={!canToggle || !socket.status || socket.status.state !== "open"}
            onChange={(event) => socket.send({ type: "set_availability", available: event.target.checked })}
          />
          Available for calls
        </label>
      </AppHeader>
      <ErrorList errors={socket.errors} onDismiss={socket.dismissError} />
      <main className="console-grid">
        <section className="console-main" aria-label="Call">
          {view.notice && !view.offer && view.status !== "in_call" && (
            <p className="notice" role="status">
              {view.notice}
            </p>
          )}
          {view.offer ? (
            <OfferCard
              offer={view.offer}
              onAccept={() => socket.send({ type: "accept_offer", call_id: view.offer!.call_id })}
              onDecline={() => socket.send({ type: "decline_offer", call_id: view.offer!.call_id })}
            />
          ) : call.callId ? (
            <>
              <div className="card call-header">
                <div>
                  <p className="eyebrow">{call.phase === "ended" ? "Call ended" : "In a call with"}</p>
                  <h1>{call.customerName ?? "Customer"}</h1>
                  {call.phase === "ended" && <p className="muted">{describeEnd(call)}</p>}
                  {call.otherPartyAway === "customer" && <p className="warn-text">The customer's connection dropped; waiting for them to return.</p>}
                </div>
                <div className="actions">
                  {call.phase === "active" && call.startedAt && <Timer since={call.startedAt} label="Call duration" />}
                  <Microphone send={socket} active={call.phase === "active"} />
                  {call.phase === "active" && (
                    <button className="button button-danger" onClick={() => socket.send({ type: "end_call", call_id: call.callId })}>
                      End call
                    </button>
                  )}
                </div>
              </div>
              {view.status === "wrap_up" && (
                <WrapUpForm
                  onSubmit={(disposition, notes) => socket.send({ type: "wrap_up", call_id: call.callId!, disposition, notes })}
                />
              )}
              <section className="card conversation" aria-label="Conversation">
                <Timeline entries={call.timeline} viewer="agent" showSentiment emptyText="The conversation will appear here." />
                <Composer
                  onSend={(text) => socket.send({ type: "chat", call_id: call.callId, text })}
                  disabled={call.phase !== "active"}
                  disabledReason="The call has ended"
                />
              </section>
            </>
          ) : (
            <div className="card idle">
              <h1>{view.status === "available" ? "Waiting for the next call" : "You are not available"}</h1>
              <p className="muted">
                {view.status === "available"
                  ? "Calls ring here. The longest-waiting caller goes to the agent who has been free the longest."
                  : "Switch on “Available for calls” to start taking calls."}
              </p>
            </div>
          )}
        </section>
        <AssistPanel call={call} send={socket.send} />
      </main>
    </div>
  );
}
