import { useEffect, useState } from "react";

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${seconds.toString().padStart(2, "0")}`;
}

/** Time elapsed since `since` (ISO), ticking every second. */
export function Timer({ since, label }: { since: string; label?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const handle = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(handle);
  }, []);
  return (
    <span className="timer" aria-label={label}>
      {formatDuration(now - Date.parse(since))}
    </span>
  );
}
