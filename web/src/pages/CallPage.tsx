import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, api } from "../lib/api";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { Composer } from "../components/Composer";
import { ErrorList } from "../components/ErrorList";
import { Timeline } from "../components/Timeline";
import { Timer } from "../components/Timer";
import { Microphone } from "../components/Microphone";
import { applyMessage, describeEnd, emptyCall } from "../state/call";
import { useCallSocket } from "../state/useCallSocket";

interface StoredCall {
  callId: string;
  token: string;
}

const STORAGE_KEY = "earshot.call";

function storedCall(): StoredCall | null {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
  } catch {
    return null;
  }
}

/** The customer's page: give a name, wait in line, talk and chat with an agent. */
export function CallPage() {
  const [call, setCall] = useState<StoredCall | null>(storedCall);
  if (!call) {
    return (
      <StartCallForm
        onStarted={(started) => {
          sessionStorage.setItem(STORAGE_KEY, JSON.stringify(started));
          setCall(started);
        }}
      />
    );
  }
  return (
    <ActiveCall
      key={call.callId}
      call={call}
      onFinished={() => {
        sessionStorage.removeItem(STORAGE_KEY);
        setCall(null);
      }}
    />
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
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="start-title">
        <p className="brand">Earshot</p>
        <h1 id="start-title">Talk to our support team</h1>
        <p className="muted">Tell us who you are and an agent will be with you shortly.</p>
        <label htmlFor="name">Your name</label>
        <input id="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} autoComplete="name" autoFocus />
        <label htmlFor="email">
          Email <span className="muted">(optional)</span>
        </label>
        <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
        <label htmlFor="phone">
          Phone <span className="muted">(optional)</span>
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
  );
}

function ActiveCall({ call, onFinished }: { call: StoredCall; onFinished: () => void }) {
  const [view, socket] = useCallSocket(
    (state) => `/ws/call/${call.callId}?token=${encodeURIComponent(call.token)}&last_seq=${state.lastSeq}`,
    applyMessage,
    emptyCall(call.callId),
  );
  const invalid = socket.status.state === "closed" && socket.status.code === 4401;

  return (
    <main className="customer-page">
      <header className="app-header">
        <span className="brand">Earshot support</span>
        <div className="header-tools">
          <ConnectionBanner status={socket.status} />
        </div>
      </header>
      <section className="call-panel card" aria-labelledby="call-state">
        {invalid ? (
          <CallState title="This call is no longer available" detail="It ended or expired.">
            <button className="button button-primary" onClick={onFinished}>
              Start a new call
            </button>
          </CallState>
        ) : view.phase === "queued" || view.phase === "none" ? (
          <CallState
            tone="waiting"
            title="Waiting for an agent"
            detail={view.position ? `You are number ${view.position} in line.` : "Finding you an agent…"}
          >
            <button className="button" onClick={() => socket.send({ type: "end_call" })}>
              Leave the queue
            </button>
          </CallState>
        ) : view.phase === "active" ? (
          <CallState tone="live" title={`Connected with ${view.agentName}`} detail={view.otherPartyAway ? "The agent's connection dropped; they should be back in a moment." : undefined}>
            {view.startedAt && <Timer since={view.startedAt} label="Call duration" />}
            <Microphone send={socket} active />
            <button className="button button-danger" onClick={() => socket.send({ type: "end_call" })}>
              End call
            </button>
          </CallState>
        ) : (
          <CallState tone="ended" title="Call ended" detail={describeEnd(view)}>
            <button className="button button-primary" onClick={onFinished}>
              Start a new call
            </button>
          </CallState>
        )}
      </section>
      <ErrorList errors={socket.errors} onDismiss={socket.dismissError} />
      <section className="card conversation" aria-label="Conversation">
        <Timeline entries={view.timeline} viewer="customer" emptyText="Messages will appear here once an agent joins." />
        <Composer
          onSend={(text) => socket.send({ type: "chat", text })}
          disabled={view.phase !== "active"}
          disabledReason={view.phase === "ended" ? "The call has ended" : "You can type once an agent joins"}
        />
      </section>
    </main>
  );
}

function CallState(props: { title: string; detail?: string; tone?: string; children?: ReactNode }) {
  return (
    <div className={`call-state call-state-${props.tone ?? "neutral"}`}>
      <h1 id="call-state">{props.title}</h1>
      {props.detail && <p className="muted">{props.detail}</p>}
      <div className="actions">{props.children}</div>
    </div>
  );
}
