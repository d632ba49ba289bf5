import type { ReactNode } from "react";
import type { Tone } from "../state/tone";

interface StatusPillProps {
  tone: Tone;
  children: ReactNode;
  /** A coloured dot before the text (for live states). */
  dot?: boolean;
  /** Announce changes to screen readers. */
  live?: boolean;
  title?: string;
}

/** A small coloured label for a state: connection, agent availability, call status. */
export function StatusPill({ tone, children, dot = false, live = false, title }: StatusPillProps) {
  return (
    <span className={`pill pill-${tone}`} title={title} {...(live ? { role: "status", "aria-live": "polite" as const } : {})}>
      {dot && <span className="dot" aria-hidden="true" />}
      {children}
    </span>
  );
}
