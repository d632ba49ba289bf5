import { useEffect, useState, type FormEvent } from "react";

export const DISPOSITIONS = [
  { value: "resolved", label: "Resolved" },
  { value: "unresolved", label: "Unresolved" },
  { value: "escalated", label: "Escalated" },
  { value: "follow_up", label: "Follow-up needed" },
] as const;

export type DispositionValue = (typeof DISPOSITIONS)[number]["value"];

interface WrapUpFormProps {
  onSubmit: (disposition: DispositionValue, notes: string) => void;
  /** The post-call summary's notes: they fill the notes when they arrive, unless the agent has typed some. */
  summaryNotes?: string | null;
}

/** After a call: how it went. The agent takes no new call until this is filed. */
export function WrapUpForm({ onSubmit, summaryNotes }: WrapUpFormProps) {
  const [disposition, setDisposition] = useState<DispositionValue | "">("");
  const [notes, setNotes] = useState(summaryNotes ?? "");
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (summaryNotes && !edited) setNotes(summaryNotes);
  }, [summaryNotes, edited]);
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!disposition) {
      setError("Choose how the call ended.");
      return;
    }
    onSubmit(disposition, notes.trim());
  }

  return (
    <form className="card wrap-up" onSubmit={submit} aria-labelledby="wrap-up-title">
      <h2 id="wrap-up-title">Wrap up the call</h2>
      <fieldset>
        <legend>Outcome</legend>
        <div className="choices">
          {DISPOSITIONS.map((option) => (
            <label key={option.value} className="choice">
              <input
                type="radio"
                name="disposition"
                value={option.value}
                checked={disposition === option.value}
                onChange={() => {
                  setDisposition(option.value);
                  setError(null);
                }}
              />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      <label htmlFor="wrap-up-notes">Notes</label>
      <textarea
        id="wrap-up-notes"
        value={notes}
        maxLength={4000}
        rows={6}
        onChange={(e) => {
          setNotes(e.target.value);
          setEdited(true);
        }}
      />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="button button-primary">
        File wrap-up
      </button>
    </form>
  );
}
