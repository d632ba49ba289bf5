import { useEffect, useRef, useState } from "react";

/** The agent console's single-key shortcuts, as the help overlay lists them. */
export const AGENT_SHORTCUTS = [
  { key: "A", does: "Accept the ringing call" },
  { key: "M", does: "Mute or unmute the microphone" },
  { key: "E", does: "End the call" },
  { key: "U", does: "Use the suggestion (puts its words in the message box)" },
  { key: "?", does: "Show or hide these shortcuts" },
] as const;

/** Keys typed into a field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** Calls `handler` when `key` is pressed outside a text field, without Ctrl/Alt/Meta, while `enabled`. */
export function useShortcut(key: string, handler: () => void, enabled = true): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || isTyping(event.target)) return;
      if (event.key.toLowerCase() !== key.toLowerCase()) return;
      event.preventDefault();
      latest.current();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [key, enabled]);
}

/** "?" opens a list of the shortcuts; Escape or the button closes it. */
export function ShortcutHelp() {
  const [open, setOpen] = useState(false);
  const close = useRef<HTMLButtonElement>(null);
  useShortcut("?", () => setOpen((value) => !value));
  useShortcut("Escape", () => setOpen(false), open);
  useEffect(() => {
    if (open) close.current?.focus();
  }, [open]);
  if (!open) return null;
  return (
    <div
      className="shortcut-help card"
      role="dialog"
      aria-modal="false"
      aria-labelledby="shortcut-help-title"
      style={{ position: "fixed", right: "1rem", bottom: "1rem", zIndex: 20, maxWidth: "26rem" }}
    >
      <h2 id="shortcut-help-title">Keyboard shortcuts</h2>
      <dl className="facts">
        {AGENT_SHORTCUTS.map((shortcut) => (
          <div key={shortcut.key} style={{ display: "contents" }}>
            <dt>
              <kbd className="shortcut">{shortcut.key}</kbd>
            </dt>
            <dd>{shortcut.does}</dd>
          </div>
        ))}
      </dl>
      <p className="muted small">Shortcuts do nothing while you type in a field.</p>
      <button ref={close} type="button" className="button button-small" onClick={() => setOpen(false)}>
        Close
      </button>
    </div>
  );
}
