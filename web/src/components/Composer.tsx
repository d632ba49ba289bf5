import { useEffect, useRef, useState, type FormEvent } from "react";
import { newChatId, type ChatReceipts } from "../state/chatReceipts";

interface ComposerProps {
  /** Sends the line with its own id; false when not connected. */
  onSend: (text: string, clientId: string) => boolean;
  /** What became of the lines sent (the server's echo or refusal, by id). */
  receipts?: ChatReceipts;
  disabled?: boolean;
  disabledReason?: string;
  newId?: () => string;
  /** Words to put in the box for the agent to edit and send (a used suggestion); a new `id` replaces the text. */
  draft?: { id: number; text: string } | null;
}

/** How long a line may wait for the server's word before the composer offers to send it again. */
export const UNCONFIRMED_MS = 8000;

const OFFLINE = "Not sent: the connection is down. Your message is kept here; send it again once reconnected.";

/** A chat input; keeps the line until the server took it, and offers a retry when it did not. */
export function Composer({ onSend, receipts = {}, disabled = false, disabledReason, newId = newChatId, draft = null }: ComposerProps) {
  const [text, setText] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState<{ id: string; text: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [unconfirmed, setUnconfirmed] = useState(false);
  const receipt = pending ? receipts[pending.id] : undefined;

  useEffect(() => {
    if (!pending || !receipt) return;
    setPending(null);
    if (receipt.accepted) {
      setText((current) => (current.trim() === pending.text ? "" : current));
      setProblem(null);
    } else {
      setProblem(`Not sent: ${receipt.reason}`);
    }
  }, [pending, receipt]);

  useEffect(() => {
    if (!draft || disabled) return;
    setText(draft.text);
    input.current?.focus();
  }, [draft?.id]); // eslint-disable-line react-hooks/exhaustive-deps -- only a new draft replaces the text

  useEffect(() => {
    setUnconfirmed(false);
    if (!pending) return;
    const handle = setTimeout(() => setUnconfirmed(true), UNCONFIRMED_MS);
    return () => clearTimeout(handle);
  }, [pending]);

  function send() {
    const trimmed = text.trim();
    if (!trimmed) return;
    const id = newId();
    if (onSend(trimmed, id)) {
      setPending({ id, text: trimmed });
      setProblem(null);
    } else {
      setPending(null);
      setProblem(OFFLINE);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!pending) send();
  }

  const sending = pending !== null && !unconfirmed;
  return (
    <form className="composer" onSubmit={submit} aria-busy={sending}>
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <input
        id="composer-input"
        ref={input}
        value={text}
        maxLength={2000}
        onChange={(event) => setText(event.target.value)}
        placeholder={disabled ? disabledReason : "Type a message…"}
        disabled={disabled}
        readOnly={pending !== null}
        autoComplete="off"
      />
      <button type="submit" className="button button-primary" disabled={disabled || !text.trim() || pending !== null}>
        {sending ? "Sending…" : "Send"}
      </button>
      {problem && !disabled && (
        <p className="form-error" role="alert">
          {problem}{" "}
          {problem !== OFFLINE && (
            <button type="button" className="link-button" onClick={send}>
              Retry
            </button>
          )}
        </p>
      )}
      {pending && unconfirmed && (
        <p className="composer-status" role="status">
          Not confirmed yet; your message is kept here.{" "}
          <button type="button" className="link-button" onClick={send}>
            Send again
          </button>
        </p>
      )}
    </form>
  );
}
