import { useState } from "react";
import { AppHeader } from "../components/AppHeader";
import { AssistPanel } from "../components/AssistPanel";
import { AvailabilitySwitch } from "../components/AvailabilitySwitch";
import { CallHeader } from "../components/CallHeader";
import { Composer } from "../components/Composer";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { ConnectionNotice } from "../components/ConnectionNotice";
import { ErrorList } from "../components/ErrorList";
import { Microphone } from "../components/Microphone";
import { OfferCard } from "../components/OfferCard";
import { askForNotifications } from "../components/Ringer";
import { ShortcutHelp, useShortcut } from "../components/Shortcuts";
import { StatusPill } from "../components/StatusPill";
import { Timeline } from "../components/Timeline";
import { TransferControl } from "../components/TransferControl";
import { WrapUpForm } from "../components/WrapUpForm";
import { useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { agentBadge, agentReducer, canToggleAvailability, initialAgentView } from "../state/agent";
import { Timer } from "../components/Timer";
import { useCallSocket } from "../state/useCallSocket";

/** The agent console: availability, incoming calls, the live call and its wrap-up. */
export function AgentPage() {
  const { expire } = useAuth();
  const [view, socket] = useCallSocket({
    // The server replays the current call's events after `last_seq` on (re)connect.
    path: (state) => `/ws/agent?last_seq=${state.call.lastSeq}`,
    reducer: agentReducer,
    initial: initialAgentView,
    onUnauthorized: expire,
  });
  const { call } = view;
  const connected = socket.status.state === "open";
  const status = agentBadge(view);
  useDocumentTitle(view.offer ? `Incoming call: ${view.offer.customer_name}` : "Agent console");
  // A used suggestion's words, handed to the message box to edit and send.
  const [draft, setDraft] = useState<{ id: number; text: string } | null>(null);
  const acceptOffer = () => view.offer && socket.send({ type: "accept_offer", call_id: view.offer.call_id });
  const endCall = () => call.callId && socket.send({ type: "end_call", call_id: call.callId });
  useShortcut("a", acceptOffer, Boolean(view.offer));
  useShortcut("e", endCall, call.phase === "active" && !view.offer);

  return (
    <div className="console">
      <AppHeader>
        <ConnectionBanner status={socket.status} />
        <StatusPill tone={status.tone} live>
          {status.label}
        </StatusPill>
        {/* Outside the live badge, so the ticking clock is not read out every second. */}
        {view.status === "wrap_up" && call.endedAt && <Timer since={call.endedAt} label="Time in wrap-up" />}
        <AvailabilitySwitch
          available={view.status === "available"}
          reason={view.reason}
          disabled={!connected || !canToggleAvailability(view.status)}
          onChange={(available, reason) => {
            if (available) askForNotifications();
            socket.send(available ? { type: "set_availability", available } : { type: "set_availability", available, reason });
          }}
        />
      </AppHeader>
      <div className="page-alerts">
        <ConnectionNotice status={socket.status} />
        <ErrorList notices={socket.notices} onDismiss={socket.dismissNotice} />
      </div>
      <main className="console-grid">
        <section className="console-main" aria-label="Call">
          {view.notice && !view.offer && !call.callId && (
            <p className="notice" role="status">
              {view.notice}
            </p>
          )}
          {view.offer ? (
            <OfferCard
              offer={view.offer}
              onAccept={acceptOffer}
              onDecline={() => socket.send({ type: "decline_offer", call_id: view.offer!.call_id })}
            />
          ) : call.callId ? (
            <>
              <CallHeader
                call={call}
                viewer="agent"
                actions={
                  call.phase === "active" && (
                    <>
                      <button
                        type="button"
                        className="button"
                        aria-pressed={call.heldSince !== null}
                        onClick={() => socket.send({ type: "hold_call", call_id: call.callId, held: call.heldSince === null })}
                      >
                        {call.heldSince ? "Resume" : "Hold"}
                      </button>
                      <button type="button" className="button button-danger" aria-keyshortcuts="E" onClick={endCall}>
                        End call
                      </button>
                    </>
                  )
                }
              >
                <Microphone
                  send={socket}
                  active={call.phase === "active"}
                  muteShortcut
                  transfer={
                    view.status === "in_call" && call.callId && (
                      <TransferControl callId={call.callId} send={socket.send} disabled={!connected} />
                    )
                  }
                />
              </CallHeader>
              {view.status === "wrap_up" && (
                <WrapUpForm
                  summaryNotes={call.summary?.notes}
                  onSubmit={(disposition, notes) => socket.send({ type: "wrap_up", call_id: call.callId!, disposition, notes })}
                />
              )}
              <section className="card conversation" aria-label="Conversation">
                <Timeline entries={call.timeline} viewer="agent" showSentiment emptyText="The conversation will appear here." />
                <Composer
                  onSend={(text, clientId) => socket.send({ type: "chat", call_id: call.callId, text, client_id: clientId })}
                  receipts={socket.chatReceipts}
                  disabled={call.phase !== "active"}
                  disabledReason="The call has ended"
                  draft={draft}
                />
              </section>
            </>
          ) : (
            <IdleCard available={view.status === "available"} />
          )}
        </section>
        <aside className="side-panel" aria-label="Call details">
          <AssistPanel call={call} send={socket.send} onUseSuggestion={(text) => setDraft({ id: Date.now(), text })} />
        </aside>
      </main>
      <ShortcutHelp />
    </div>
  );
}

function IdleCard({ available }: { available: boolean }) {
  return (
    <div className={`card idle ${available ? "idle-ready" : ""}`}>
      <h1>{available ? "Waiting for the next call" : "You are not available"}</h1>
      <p className="muted">
        {available
          ? "Calls ring here. The longest-waiting caller goes to the agent who has been free the longest."
          : "Switch on “Available for calls” to start taking calls."}
      </p>
    </div>
  );
}
