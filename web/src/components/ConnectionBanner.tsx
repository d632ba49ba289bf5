import { useEffect, useState } from "react";
import type { ConnectionStatus } from "../lib/ws";
import { StatusPill } from "./StatusPill";

interface ConnectionBannerProps {
  status: ConnectionStatus;
  now?: () => number;
}

export function connectionText(status: ConnectionStatus, now: number): string {
  switch (status.state) {
    case "open":
      return "Connected";
    case "connecting":
      return status.attempt > 0 ? "Reconnecting…" : "Connecting…";
    case "reconnecting":
      return `Reconnecting in ${Math.max(1, Math.ceil((status.retryAt - now) / 1000))} s…`;
    case "offline":
      return "Offline";
    case "closed":
      return "Disconnected";
  }
}

/** Says what the live connection is doing, so nobody wonders why nothing moves. */
export function ConnectionBanner({ status, now = Date.now }: ConnectionBannerProps) {
  const [time, setTime] = useState(now);
  const counting = status.state === "reconnecting";
  useEffect(() => {
    setTime(now());
    if (!counting) return;
    const handle = setInterval(() => setTime(now()), 250);
    return () => clearInterval(handle);
  }, [counting, status, now]);

  const tone = status.state === "open" ? "ok" : status.state === "closed" || status.state === "offline" ? "error" : "warn";
  return (
    <StatusPill tone={tone} dot live title={status.state === "closed" ? status.reason : undefined}>
      {connectionText(status, time)}
    </StatusPill>
  );
}
