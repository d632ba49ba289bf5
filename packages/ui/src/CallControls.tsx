// The buttons of a call in progress: mute (with the input level), end, and slots for hold and transfer.
import type { ReactNode } from "react";
import { AudioLevelMeter } from "./AudioLevelMeter.js";

export interface CallControlsProps {
  muted: boolean;
  onToggleMute: () => void;
  /** The microphone's RMS level, 0..1; omit to hide the meter. */
  level?: number;
  /** Omit to hide the End button (e.g. when the page ends the call elsewhere). */
  onEnd?: () => void;
  endLabel?: string;
  /** Disables every button (no call, or the connection is down). */
  disabled?: boolean;
  /** A hold / resume control. */
  hold?: ReactNode;
  /** A transfer control. */
  transfer?: ReactNode;
  /** Anything after the controls (a problem with the microphone, a hint). */
  children?: ReactNode;
}

export function CallControls(props: CallControlsProps) {
  const { muted, disabled = false } = props;
  return (
    <div className="microphone call-controls" role="group" aria-label="Call controls">
      <button
        type="button"
        className={`button ${muted ? "button-warn" : ""}`}
        aria-pressed={muted}
        disabled={disabled}
        onClick={props.onToggleMute}
      >
        {muted ? "Unmute" : "Mute"}
      </button>
      {props.level !== undefined && <AudioLevelMeter level={props.level} muted={muted} />}
      {props.hold}
      {props.transfer}
      {props.onEnd && (
        <button type="button" className="button button-danger" disabled={disabled} onClick={props.onEnd}>
          {props.endLabel ?? "End call"}
        </button>
      )}
      {props.children}
    </div>
  );
}
