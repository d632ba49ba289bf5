// What to do next: the current suggestion with its reasoning, action, confidence and sources, the
// buttons to use or dismiss it, and the call's earlier suggestions as a short history.
import type { Suggestion, SuggestionRecord, SuggestionState } from "./types.js";

export interface AISuggestionPanelProps {
  suggestion: Suggestion | null;
  state?: SuggestionState;
  /** Omit both handlers for a read-only panel (a supervisor's view). */
  onUse?: (suggestion: Suggestion) => void;
  onDismiss?: (suggestion: Suggestion) => void;
  /** Earlier suggestions of the call, oldest first; the current one is left out if present. */
  history?: SuggestionRecord[];
  /** How many earlier suggestions to show (the latest ones). */
  historyLimit?: number;
  /** Waiting for the first suggestion of the call. */
  loading?: boolean;
  /** Suggestions are unavailable (shown instead of the suggestion). */
  error?: string | null;
  /** Human names for `action` values; unknown actions are shown as they are. */
  actionLabels?: Record<string, string>;
  /** The keyboard shortcut for "Use it", shown on the button (e.g. "U"). */
  useShortcut?: string;
  /** Below this confidence the card says it is not sure; default LOW_CONFIDENCE. */
  lowConfidenceBelow?: number;
}

/** Below this, a suggestion is shown as a guess, not as the next step: on customer wording the
 * playbook was not written from, answers under 0.5 were right only about half the time. */
export const LOW_CONFIDENCE = 0.5;
export const NOT_SURE_TEXT = "Not sure — ask what they need.";

const STATE_TEXT: Record<SuggestionState, string> = { new: "not acted on", accepted: "used", dismissed: "dismissed" };

export function confidencePercent(confidence: number): number {
  return Math.round(Math.min(1, Math.max(0, confidence)) * 100);
}

export function AISuggestionPanel(props: AISuggestionPanelProps) {
  const { suggestion, state = "new", actionLabels = {} } = props;
  const earlier = (props.history ?? []).filter((record) => record.suggestion.suggestion_id !== suggestion?.suggestion_id);
  const shown = earlier.slice(-(props.historyLimit ?? 3));
  const unsure = suggestion !== null && suggestion.confidence < (props.lowConfidenceBelow ?? LOW_CONFIDENCE);
  return (
    <section className="card suggestion" aria-labelledby="suggestion-title">
      {props.error ? (
        <>
          <h2 id="suggestion-title">Suggestions</h2>
          <p className="form-error" role="alert">
            {props.error}
          </p>
        </>
      ) : !suggestion ? (
        <>
          <h2 id="suggestion-title">Suggestions</h2>
          <p className="muted small" aria-live="polite">
            {props.loading ? "Listening for the customer's request…" : "No suggestion yet."}
          </p>
        </>
      ) : (
        <div aria-live="polite">
          <p className="eyebrow">
            {unsure ? "Not sure, best guess" : "Suggested next step"} ·{" "}
            <span className="action-tag">{actionLabels[suggestion.action] ?? suggestion.action}</span>
          </p>
          <h2 id="suggestion-title" className="suggestion-text">
            {unsure ? NOT_SURE_TEXT : suggestion.suggestion}
          </h2>
          {unsure && <p className="small">Best guess: {suggestion.suggestion}</p>}
          <p className="muted small">{suggestion.reasoning}</p>
          <ConfidenceBar confidence={suggestion.confidence} />
          <p className="muted small">
            Confidence {confidencePercent(suggestion.confidence)}%
            {suggestion.utterance ? <> · answers “{suggestion.utterance}”</> : null}
          </p>
          {suggestion.sources.length > 0 && (
            <p className="small">Sources: {suggestion.sources.map((source) => source.title).join(", ")}</p>
          )}
          <SuggestionActions {...props} suggestion={suggestion} state={state} />
        </div>
      )}
      {shown.length > 0 && (
        <div className="suggestion-history">
          <h3>Earlier suggestions</h3>
          <ol className="compact-list">
            {shown.map(({ suggestion: earlierOne, state: earlierState }) => (
              <li key={earlierOne.suggestion_id} data-state={earlierState}>
                {earlierOne.suggestion} <span className={`badge badge-${earlierState}`}>{STATE_TEXT[earlierState]}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

function ConfidenceBar({ confidence }: { confidence: number }) {
  const percent = confidencePercent(confidence);
  return (
    <div
      className={`confidence ${percent < 50 ? "confidence-low" : ""}`}
      role="meter"
      aria-label="Confidence"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${percent}%`}
    >
      <div className="confidence-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

function SuggestionActions(props: AISuggestionPanelProps & { suggestion: Suggestion; state: SuggestionState }) {
  const { suggestion, state, onUse, onDismiss } = props;
  if (state !== "new") return <p className="muted small">{state === "accepted" ? "Used" : "Dismissed"}</p>;
  if (!onUse && !onDismiss) return null;
  return (
    <div className="actions">
      {onUse && (
        <button
          type="button"
          className="button button-primary button-small"
          aria-keyshortcuts={props.useShortcut}
          onClick={() => onUse(suggestion)}
        >
          Use it
          {props.useShortcut && (
            <kbd className="shortcut" aria-hidden="true">
              {props.useShortcut}
            </kbd>
          )}
        </button>
      )}
      {onDismiss && (
        <button type="button" className="button button-small" onClick={() => onDismiss(suggestion)}>
          Dismiss
        </button>
      )}
    </div>
  );
}
