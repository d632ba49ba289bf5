import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { AppHeader } from "../components/AppHeader";
import { ReplayControls } from "../components/ReplayControls";
import { CallOutcome, ReplayAssist } from "../components/ReplayDetails";
import { StatusPill } from "../components/StatusPill";
import { Timeline } from "../components/Timeline";
import { formatDuration } from "../components/Timer";
import { ApiError, request } from "../lib/api";
import { hasRole, useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import type { TimelineEntry } from "../state/call";
import { EXPORT_FORMATS, exportHref, readReplayLog } from "../state/history";
import { replayMarkers, timeOfSeq, viewAt, type ReplayFrame, type ReplayScript } from "../state/replay";
import { recordingHref, spokenSeq, syncAudio } from "../state/replayAudio";
import { DISPOSITION } from "../state/supervisor";
import { useReplay } from "../state/useReplay";

type Loaded =
  | { state: "loading" }
  | { state: "error"; message: string }
  /** `failed`: the rest of the log could not be read after the first pages were shown. */
  | { state: "ready"; script: ReplayScript; failed: string | null };

function loadError(caught: unknown): string {
  if (caught instanceof ApiError && caught.status === 404) return "There is no such call, or it is not one of yours.";
  if (caught instanceof ApiError) return caught.message;
  return caught instanceof Error ? caught.message : "Could not load the call.";
}

/** One call from its log: the summary, and a replay of what the agent saw at the original timing. */
export function ReplayPage() {
  const { callId = "" } = useParams();
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  useDocumentTitle("Call replay");

  useEffect(() => {
    let current = true;
    setLoaded({ state: "loading" });
    // The first page shows the first frame; the rest of the log is read behind it.
    readReplayLog(callId, (script) => setLoaded({ state: "ready", script, failed: null }), () => current).catch((caught: unknown) => {
      if (!current) return;
      setLoaded((was) => (was.state === "ready" ? { ...was, failed: loadError(caught) } : { state: "error", message: loadError(caught) }));
    });
    return () => {
      current = false;
    };
  }, [callId]);

  return (
    <div className="console">
      <AppHeader />
      <main className="replay">
        <p className="small">
          <Link to="/history">← Call history</Link>
        </p>
        {loaded.state === "loading" && (
          <p className="muted" role="status">
            Loading the call…
          </p>
        )}
        {loaded.state === "error" && (
          <div className="card">
            <h1>Cannot open this call</h1>
            <p className="notice notice-error" role="alert">
              {loaded.message}
            </p>
          </div>
        )}
        {loaded.state === "ready" && loaded.failed && (
          <p className="notice notice-error" role="alert">
            Only part of the call could be read: {loaded.failed}
          </p>
        )}
        {loaded.state === "ready" && <Replay script={loaded.script} />}
      </main>
    </div>
  );
}

function Replay({ script }: { script: ReplayScript }) {
  const [frame, controls] = useReplay(script);
  const whole = useMemo(() => viewAt(script, script.durationMs), [script]);
  const markers = useMemo(() => replayMarkers(script), [script]);
  const queuedAt = script.events[0]?.at;
  const disposition = whole.disposition ? DISPOSITION[whole.disposition] : null;

  return (
    <>
      <div className="card call-header">
        <div className="call-header-main">
          <div>
            <p className="eyebrow">Call replay</p>
            <h1>{whole.customerName ?? "Customer"}</h1>
            <p className="call-meta muted">
              {whole.channel && <span className="badge">{whole.channel === "phone" ? "Phone" : "Web"}</span>}
              <span>Agent: {whole.agentName ?? "none"}</span>
              {queuedAt && <time dateTime={queuedAt}>{new Date(queuedAt).toLocaleString()}</time>}
              {whole.startedAt && whole.endedAt && <span>Lasted {formatDuration(Date.parse(whole.endedAt) - Date.parse(whole.startedAt))}</span>}
              {disposition && <StatusPill tone={disposition.tone}>{disposition.label}</StatusPill>}
            </p>
          </div>
          <div className="actions export-links" role="group" aria-label="Export">
            {EXPORT_FORMATS.map(({ format, label, description }) => (
              <a key={format} className="button button-small" href={exportHref(script.callId, format)} download aria-label={`Export as ${label} (${description})`}>
                {label}
              </a>
            ))}
          </div>
        </div>
        <ReplayControls frame={frame} controls={controls} markers={markers} />
        {!script.complete && (
          <p className="muted small" role="status">
            {frame.waitingForMs === null ? "Reading the rest of the call…" : `Reading the call up to ${formatDuration(frame.waitingForMs)}…`}
          </p>
        )}
        <Recording callId={script.callId} frame={frame} failed={whole.recordingFailed} />
      </div>
      <div className="console-grid replay-grid">
        <section className="console-main" aria-label="Replayed call">
          <section className="card conversation" aria-label="Conversation at this moment">
            <p className="eyebrow">What the agent saw</p>
            <Timeline entries={frame.view.timeline} viewer="supervisor" showSentiment emptyText="Nothing said yet at this point." />
          </section>
          <CallOutcome summary={whole.summary} view={whole} />
          <LineIndex entries={whole.timeline} script={script} positionMs={frame.positionMs} onSeek={controls.seek} spoken={spokenSeq(script, frame.positionMs)} />
        </section>
        <aside className="side-panel" aria-label="Agent's panel at this moment">
          <ReplayAssist view={frame.view} />
        </aside>
      </div>
    </>
  );
}

interface LineIndexProps {
  entries: TimelineEntry[];
  script: ReplayScript;
  positionMs: number;
  onSeek: (positionMs: number) => void;
  /** The line whose words are being heard in the recording now. */
  spoken: number | null;
}

/** Every line of the whole call, the latest one shown marked; choosing one moves the replay to when it appeared. */
function LineIndex({ entries, script, positionMs, onSeek, spoken }: LineIndexProps) {
  const lines = entries.filter((entry) => entry.kind !== "system" && entry.seq !== null);
  const times = lines.map((entry) => timeOfSeq(script, entry.seq!) ?? entry.offsetMs);
  const latest = times.reduce((found, at, index) => (at <= positionMs && (found < 0 || at >= times[found]) ? index : found), -1);
  return (
    <section className="card" aria-labelledby="lines-title">
      <h2 id="lines-title">Transcript</h2>
      {lines.length === 0 ? (
        <p className="muted small">Nothing was said in this call.</p>
      ) : (
        <ol className="line-index">
          {lines.map((entry, index) => {
            const at = times[index];
            return (
              <li
                key={entry.key}
                className={[at <= positionMs ? "line-past" : "", entry.seq === spoken ? "line-spoken" : ""].join(" ").trim()}
                aria-current={index === latest ? "true" : undefined}
              >
                {/* Only the words are the button, so its name ("Go to 0:03: …") contains all of its visible text. */}
                <span className="numeric muted">{formatDuration(at)}</span> <strong>{entry.speaker === "agent" ? "Agent" : "Customer"}</strong>{" "}
                <span className="muted small">({entry.kind === "chat" ? "chat" : "said"})</span>{" "}
                <button type="button" className="link-button" onClick={() => onSeek(at)} aria-label={`Go to ${formatDuration(at)}: ${entry.text}`}>
                  {entry.text}
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

type RecordingState = "loading" | "ready" | "none" | "deleted";

/** The call's audio, driven by the replay's controls (no controls of its own); download for supervisors, delete for admins. */
function Recording({ callId, frame, failed }: { callId: string; frame: ReplayFrame; failed: string | null }) {
  const { user } = useAuth();
  const audio = useRef<HTMLAudioElement>(null);
  const [state, setState] = useState<RecordingState>("loading");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (audio.current && state === "ready") syncAudio(audio.current, frame);
  }, [frame, state]);

  async function remove() {
    if (!window.confirm("Delete this call's recording for good?")) return;
    try {
      await request<void>("DELETE", recordingHref(callId));
      audio.current?.pause();
      setState("deleted");
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Could not delete the recording.");
    }
  }

  return (
    <div className="recording" role="group" aria-label="Recording">
      {state !== "deleted" && (
        <audio ref={audio} src={recordingHref(callId)} preload="metadata" aria-label="Call recording" onLoadedMetadata={() => setState("ready")} onError={() => setState("none")} />
      )}
      {state === "ready" && <span className="muted small">The recording plays with the replay.</span>}
      {state === "none" && <span className="muted small">No recording of this call.</span>}
      {state === "deleted" && <span className="muted small">The recording was deleted.</span>}
      {failed && <span className="notice notice-error small">Recording failed: {failed}</span>}
      {state === "ready" && hasRole(user, "supervisor") && (
        <a className="button button-small" href={`${recordingHref(callId)}`} download>
          Download recording
        </a>
      )}
      {state === "ready" && hasRole(user, "admin") && (
        <button type="button" className="button button-small button-danger" onClick={remove}>
          Delete recording
        </button>
      )}
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
