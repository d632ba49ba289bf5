import { useEffect, useState } from "react";

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = (total % 60).toString().padStart(2, "0");
  return hours > 0 ? `${hours}:${minutes.toString().padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

interface TimerProps {
  /** ISO time the clock started. */
  since: string;
  /** ISO time it stopped; without it the clock ticks every second. */
  until?: string;
  label?: string;
}

/** Time elapsed since `since`, e.g. a call's duration or how long a caller has waited. */
export function Timer({ since, until, label }: TimerProps) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until) return;
    const handle = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(handle);
  }, [until]);
  const end = until ? Date.parse(until) : now;
  const elapsed = end - Date.parse(since);
  return (
    <span className="timer">
      {label && <span className="visually-hidden">{label}: </span>}
      <time dateTime={`PT${Math.max(0, Math.floor(elapsed / 1000))}S`}>{formatDuration(elapsed)}</time>
    </span>
  );
}
