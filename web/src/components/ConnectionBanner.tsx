import type { ConnectionStatus } from "../lib/ws";

/** Says what the live connection is doing, so nobody wonders why nothing moves. */
export function ConnectionBanner({ status }: { status: ConnectionStatus }) {
  if (status.state === "open") {
    return (
      <span className="pill pill-ok" role="status">
        <span className="dot" aria-hidden="true" /> Connected
      </span>
    );
  }
  const text =
    status.state === "connecting"
      ? "Connecting…"
      : status.state === "reconnecting"
        ? `Connection lost — reconnecting in ${status.inSeconds} s`
        : status.reason;
  const tone = status.state === "closed" ? "pill-error" : "pill-warn";
  return (
    <span className={`pill ${tone}`} role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" /> {text}
    </span>
  );
}
