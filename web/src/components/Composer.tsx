import { useState, type FormEvent } from "react";

interface ComposerProps {
  onSend: (text: string) => boolean;
  disabled?: boolean;
  disabledReason?: string;
}

/** A chat input; keeps the text when it could not be sent, so nothing typed is lost. */
export function Composer({ onSend, disabled = false, disabledReason }: ComposerProps) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed) return;
    if (onSend(trimmed)) {
      setText("");
      setError(null);
    } else {
      setError("Not sent: the connection is down. Your message is kept here; send it again once reconnected.");
    }
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <input
        id="composer-input"
        value={text}
        maxLength={2000}
        onChange={(event) => setText(event.target.value)}
        placeholder={disabled ? disabledReason : "Type a message…"}
        disabled={disabled}
        autoComplete="off"
      />
      <button type="submit" className="button button-primary" disabled={disabled || !text.trim()}>
        Send
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
