import { AppHeader } from "../components/AppHeader";
import { CallHeader } from "../components/CallHeader";
import { ConnectionBanner } from "../components/ConnectionBanner";
import { ConnectionNotice } from "../components/ConnectionNotice";
import { ErrorList } from "../components/ErrorList";
import { LiveCallsTable } from "../components/LiveCallsTable";
import { RecentCallsTable } from "../components/RecentCallsTable";
import { AISuggestionPanel, SentimentTrend } from "@earshot/ui";
import { ACTION_LABEL } from "../components/AssistPanel";
import { Timeline } from "../components/Timeline";
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { ApiError, api } from "../lib/api";
import { useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { initialSupervisorView, supervisorReducer, watchingFrom, type SupervisorAction } from "../state/supervisor";
import { useCallSocket } from "../state/useCallSocket";
import { useRecentCalls } from "../state/useRecentCalls";

/** Every live call at a glance; open one to follow it read-only. */
export function SupervisorPage() {
  const { expire } = useAuth();
  useDocumentTitle("Supervisor");
  // The dashboard's floor links here with `?watch=<call_id>`: follow that call from the start.
  const [search] = useSearchParams();
  const [initial] = useState(() => watchingFrom(search.get("watch")));
  const [view, socket] = useCallSocket<typeof initialSupervisorView, SupervisorAction>({
    path: () => "/ws/supervisor",
    reducer: supervisorReducer,
    initial,
    // After a reconnect, watch again: the server replays the call and the reducer drops repeats.
    onOpen: (state) => (state.watched.callId && state.live ? [{ type: "watch", call_id: state.watched.callId }] : []),
    onUnauthorized: expire,
  });
  const watched = view.watched;
  const recent = useRecentCalls(view.calls);

  const [historyError, setHistoryError] = useState<string | null>(null);

  function stopFollowing() {
    if (watched.callId && view.live) socket.send({ type: "unwatch", call_id: watched.callId });
  }

  function watch(callId: string | null) {
    stopFollowing();
    setHistoryError(null);
    // The reducer starts an empty view of the call; the server then replays its history.
    socket.dispatch({ type: "watching", call_id: callId });
    if (callId) socket.send({ type: "watch", call_id: callId });
  }

  async function review(callId: string) {
    stopFollowing();
    try {
      socket.dispatch({ type: "history", call_id: callId, events: await api.callEvents(callId) });
      setHistoryError(null);
    } catch (caught) {
      setHistoryError(caught instanceof ApiError ? caught.message : "Could not load the call.");
    }
  }

  return (
    <div className="console">
      <AppHeader>
        <ConnectionBanner status={socket.status} />
      </AppHeader>
      <div className="page-alerts">
        <ConnectionNotice status={socket.status} />
        <ErrorList notices={socket.notices} onDismiss={socket.dismissNotice} />
      </div>
      <main className="supervisor-grid">
        <section className="card" aria-labelledby="live-title">
          <h1 id="live-title">
            Live calls <span className="count">{view.calls.length}</span>
          </h1>
          <LiveCallsTable calls={view.calls} watchedId={watched.callId} onWatch={watch} />
        </section>
        <section className="watch" aria-label="Watched call">
          {historyError && (
            <p className="notice notice-error" role="alert">
              {historyError}
            </p>
          )}
          {!watched.callId ? (
            <div className="card">
              <h2>Watch a call</h2>
              <p className="muted">
                Choose a live call to follow its conversation as it happens, or a recent call to read it. Watching is read-only.
              </p>
            </div>
          ) : (
            <>
              <CallHeader
                call={watched}
                viewer="supervisor"
                actions={
                  <button type="button" className="button button-small" onClick={() => watch(null)}>
                    {view.live ? "Stop watching" : "Close"}
                  </button>
                }
              />
              {watched.alert && (
                <div className="alert-banner" role="alert">
                  <strong>Sentiment alert:</strong> {watched.alert.reason}
                </div>
              )}
              <div className="card conversation">
                <Timeline entries={watched.timeline} viewer="supervisor" showSentiment emptyText="Nothing said yet." />
                {watched.sentiments.length > 0 && <SentimentTrend points={watched.sentiments} />}
              </div>
              {watched.suggestion && (
                <AISuggestionPanel
                  suggestion={watched.suggestion}
                  state={watched.suggestionState}
                  history={watched.suggestions}
                  actionLabels={ACTION_LABEL}
                />
              )}
            </>
          )}
        </section>
        <section className="card recent" aria-labelledby="recent-title">
          <div className="section-header">
            <h2 id="recent-title">Recent calls</h2>
            <button type="button" className="button button-small" onClick={recent.refresh}>
              Refresh
            </button>
          </div>
          {recent.error && (
            <p className="form-error" role="alert">
              {recent.error}
            </p>
          )}
          <RecentCallsTable calls={recent.calls} openId={view.live ? null : watched.callId} onOpen={(callId) => void review(callId)} />
        </section>
      </main>
    </div>
  );
}
