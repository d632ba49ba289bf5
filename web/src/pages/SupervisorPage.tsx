import { useEffect, useState } from "react";
import { AppHeader } from "../components/AppHeader";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { ErrorList } from "../components/ErrorList";
import { SentimentTrend } from "../components/SentimentTrend";
import { Timeline } from "../components/Timeline";
import { Timer } from "../components/Timer";
import { api, type CallSummary } from "../lib/api";
import { describeEnd } from "../state/call";
import { initialSupervisorView, supervisorReducer, type SupervisorAction } from "../state/supervisor";
import { useCallSocket } from "../state/useCallSocket";

const STATUS_TEXT = { queued: "Waiting", offered: "Ringing", active: "In call", ended: "Ended" } as const;

/** Every live call at a glance; open one to follow it read-only. */
export function SupervisorPage() {
  const [watchedId, setWatchedId] = useState<string | null>(null);
  const [view, socket] = useCallSocket<typeof initialSupervisorView, SupervisorAction>(
    () => "/ws/supervisor",
    supervisorReducer,
    initialSupervisorView,
    (state) => (state.watched.callId ? [{ type: "watch", call_id: state.watched.callId }] : []),
  );
  const watchView = view.watched;
  const [recent, setRecent] = useState<CallSummary[]>([]);
  const liveCount = view.calls.length;

  useEffect(() => {
    api.calls("ended", 20).then(setRecent).catch(() => undefined);
  }, [liveCount]);

  function watch(callId: string) {
    if (watchedId) socket.send({ type: "unwatch", call_id: watchedId });
    setWatchedId(callId);
    // The reducer resets the watched call; the server then replays its history.
    socket.dispatch({ type: "watching", call_id: callId });
    socket.send({ type: "watch", call_id: callId });
  }

  return (
    <div className="console">
      <AppHeader>
        <ConnectionBanner status={socket.status} />
      </AppHeader>
      <ErrorList errors={socket.errors} onDismiss={socket.dismissError} />
      <main className="supervisor-grid">
        <section className="card" aria-labelledby="live-title">
          <h1 id="live-title">
            Live calls <span className="count">{liveCount}</span>
          </h1>
          {liveCount === 0 ? (
            <p className="muted">No calls right now.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Time</th>
                  <th scope="col">
                    <span className="visually-hidden">Watch</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.calls.map((call) => (
                  <tr key={call.call_id} className={call.call_id === watchedId ? "selected" : ""}>
                    <td>
                      <span className={`pill status-${call.status}`}>{STATUS_TEXT[call.status]}</span>
                    </td>
                    <td>
                      {call.customer_name} <span className="muted small">{call.channel}</span>
                    </td>
                    <td>{call.agent_name ?? "—"}</td>
                    <td>
                      <Timer since={call.answered_at ?? call.queued_at} label={call.answered_at ? "In call for" : "Waiting for"} />
                    </td>
                    <td>
                      <button className="button button-small" onClick={() => watch(call.call_id)} aria-label={`Watch the call with ${call.customer_name}`}>
                        Watch
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card watch" aria-labelledby="watch-title">
          <h2 id="watch-title">{watchView.callId ? `Call with ${watchView.customerName ?? "customer"}` : "Watch a call"}</h2>
          {!watchView.callId ? (
            <p className="muted">Choose a live call to follow its conversation as it happens (read-only).</p>
          ) : (
            <>
              <p className="muted small">
                {watchView.phase === "ended" ? describeEnd(watchView) : watchView.agentName ? `Agent: ${watchView.agentName}` : "Waiting for an agent"}
              </p>
              {watchView.alert && (
                <div className="alert-banner" role="alert">
                  <strong>Sentiment alert:</strong> {watchView.alert.reason}
                </div>
              )}
              <Timeline entries={watchView.timeline} viewer="supervisor" showSentiment emptyText="Nothing said yet." />
              {watchView.sentiments.length > 0 && <SentimentTrend points={watchView.sentiments} />}
              {watchView.suggestion && (
                <p className="small">
                  <strong>Latest suggestion:</strong> {watchView.suggestion.suggestion}
                </p>
              )}
            </>
          )}
        </section>
        <section className="card recent" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent calls</h2>
          {recent.length === 0 ? (
            <p className="muted">No finished calls yet.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((call) => (
                  <tr key={call.call_id}>
                    <td>{call.customer_name}</td>
                    <td>{call.agent_name ?? "—"}</td>
                    <td>{call.ended_at ? new Date(call.ended_at).toLocaleTimeString() : "—"}</td>
                    <td>{call.disposition ? call.disposition.replace("_", " ") : call.end_reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </main>
    </div>
  );
}
