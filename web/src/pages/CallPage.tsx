import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { Composer } from "../components/Composer";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { ConnectionNotice } from "../components/ConnectionNotice";
import { ErrorList } from "../components/ErrorList";
import { Microphone } from "../components/Microphone";
import { Timeline } from "../components/Timeline";
import { Timer } from "../components/Timer";
import { ApiError, api } from "../lib/api";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { callProtocols } from "../lib/ws";
import { clearStoredCall, loadStoredCall, saveStoredCall, type StoredCall } from "../lib/storedCall";
import { applyMessage, describeEnd, emptyCall, queueText } from "../state/call";
import { useCallSocket } from "../state/useCallSocket";

/** The customer's page: give a name, wait in line, talk and chat with an agent. Never shows AI output. */
export function CallPage() {
  const [call, setCall] = useState<StoredCall | null>(loadStoredCall);
  useDocumentTitle("Support call");
  return (
    <div className="customer-page">
      {call ? (
        <ActiveCall
          key={call.callId}
          call={call}
          onFinished={() => {
            clearStoredCall();
            setCall(null);
          }}
        />
      ) : (
        <StartCallForm
          onStarted={(started) => {
            saveStoredCall(started);
            setCall(started);
          }}
        />
      )}
    </div>
  );
}

function StartCallForm({ onStarted }: { onStarted: (call: StoredCall) => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const started = await api.startCall({
        name: name.trim(),
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(phone.trim() ? { phone: phone.trim() } : {}),
      });
      onStarted({ callId: started.call_id, token: started.token });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Could not start the call.");
      setBusy(false);
    }
  }

  return (
    <>
      <CustomerHeader />
      <main className="customer-body">
        <form className="card start-card" onSubmit={submit} aria-labelledby="start-title">
          <h1 id="start-title">Talk to our support team</h1>
          <p className="muted">Tell us who you are and an agent will be with you shortly.</p>
          <label htmlFor="name">Your name</label>
          <input id="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} autoComplete="name" autoFocus />
          <label htmlFor="email">
            Email <span className="optional">(optional)</span>
          </label>
          <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
          <label htmlFor="phone">
            Phone <span className="optional">(optional)</span>
          </label>
          <input id="phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoComplete="tel" />
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="button button-primary button-large" disabled={busy || !name.trim()}>
            {busy ? "Starting…" : "Start call"}
          </button>
        </form>
      </main>
    </>
  );
}

function ActiveCall({ call, onFinished }: { call: StoredCall; onFinished: () => void }) {
  const [view, socket] = useCallSocket({
    // The server replays what we missed after `last_seq` on every (re)connect, e.g. after a reload.
    path: (state) => `/ws/call/${call.callId}?last_seq=${state.lastSeq}`,
    protocols: () => callProtocols(call.token),
    reducer: applyMessage,
    initial: emptyCall(call.callId),
  });
  const invalid = socket.status.state === "closed";
  const endCall = () => socket.send({ type: "end_call" });

  return (
    <>
      <CustomerHeader>
        <ConnectionBanner status={socket.status} />
      </CustomerHeader>
      <main className="customer-body">
        {!invalid && <ConnectionNotice status={socket.status} />}
        <section className="call-panel card" aria-labelledby="call-state">
          {invalid ? (
            <CallState tone="ended" title="This call is no longer available" detail="It has ended or expired." actions={<NewCallButton onClick={onFinished} />} />
          ) : view.phase === "queued" || view.phase === "none" ? (
            <CallState
              tone="waiting"
              title="Waiting for an agent"
              detail={queueText(view)}
              actions={
                <button type="button" className="button" onClick={endCall}>
                  Leave the queue
                </button>
              }
            />
          ) : view.phase === "active" && view.transferring ? (
            <CallState
              tone="waiting"
              title="Transferring you to another agent"
              detail={`Please stay on the line: your conversation so far goes with you.${view.position ? ` ${queueText(view)}` : ""}`}
              actions={
                <button type="button" className="button button-danger" onClick={endCall}>
                  End call
                </button>
              }
            />
          ) : view.phase === "active" ? (
            <CallState
              tone="live"
              title={view.heldSince ? `On hold with ${view.agentName}` : `Connected with ${view.agentName}`}
              detail={
                view.heldSince
                  ? "The agent put you on hold and will be back shortly. You can still type a message."
                  : view.otherPartyAway
                    ? "The agent's connection dropped; they should be back in a moment."
                    : undefined
              }
              meta={view.startedAt && <Timer since={view.startedAt} label="Call duration" />}
              actions={
                <button type="button" className="button button-danger" onClick={endCall}>
                  End call
                </button>
              }
            >
              <Microphone send={socket} active />
            </CallState>
          ) : (
            <CallState tone="ended" title="Call ended" detail={describeEnd(view)} actions={<NewCallButton onClick={onFinished} />} />
          )}
        </section>
        <ErrorList notices={socket.notices} onDismiss={socket.dismissNotice} />
        {(view.phase === "active" || view.phase === "ended") && (
          <section className="card conversation" aria-label="Conversation">
            <Timeline entries={view.timeline} viewer="customer" emptyText="Say hello, or type a message below." />
            <Composer
              onSend={(text, clientId) => socket.send({ type: "chat", text, client_id: clientId })}
              receipts={socket.chatReceipts}
              disabled={view.phase !== "active" || view.transferring}
              disabledReason={view.transferring ? "You can write again once the next agent answers" : "The call has ended"}
            />
          </section>
        )}
      </main>
    </>
  );
}

function CustomerHeader({ children }: { children?: ReactNode }) {
  const recorded = useCallsRecorded();
  return (
    <header className="app-header">
      <span className="brand">Earshot support</span>
      {/* Speech is always transcribed live (that is the product); recording is a setting. */}
      <span className="badge" role="note">
        {recorded ? "This call is transcribed and recorded" : "This call is transcribed"}
      </span>
      <div className="header-tools">{children}</div>
    </header>
  );
}

function NewCallButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className="button button-primary" onClick={onClick}>
      Start a new call
    </button>
  );
}

interface CallStateProps {
  title: string;
  detail?: string;
  tone: "waiting" | "live" | "ended";
  /** Beside the detail, e.g. the call's duration. */
  meta?: ReactNode;
  actions?: ReactNode;
  /** A row underneath (the microphone). */
  children?: ReactNode;
}

function CallState({ title, detail, tone, meta, actions, children }: CallStateProps) {
  return (
    <div className={`call-state call-state-${tone}`}>
      <span className="call-state-icon" aria-hidden="true" />
      <div className="call-state-text">
        <h1 id="call-state" aria-live="polite">
          {title}
        </h1>
        {(detail || meta) && (
          <p className="call-state-detail" aria-live="polite">
            {detail}
            {meta}
          </p>
        )}
      </div>
      {actions && <div className="actions">{actions}</div>}
      {children && <div className="call-state-extra">{children}</div>}
    </div>
  );
}

/** Whether the server records calls (the customer is told before and during the call). */
function useCallsRecorded(): boolean {
  const [recorded, setRecorded] = useState(false);
  useEffect(() => {
    let current = true;
    api.recordingPolicy().then(
      (policy) => current && setRecorded(policy.enabled),
      () => undefined, // no notice is shown rather than a wrong one; the server says nothing was recorded either
    );
    return () => {
      current = false;
    };
  }, []);
  return recorded;
}
