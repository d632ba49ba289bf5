import type { AwayReason } from "../lib/protocol";
import { AWAY_REASONS } from "../state/agent";

interface AvailabilitySwitchProps {
  /** On only while the server says the agent is available: off during a call, as the badge says. */
  available: boolean;
  /** Why the agent is away (null: not ready, no reason given). */
  reason: AwayReason | null;
  disabled: boolean;
  onChange: (available: boolean, reason: AwayReason | null) => void;
}

/** The agent's "ready for calls" switch and, while away, why; its state is what the server confirmed, not the last click. */
export function AvailabilitySwitch({ available, reason, disabled, onChange }: AvailabilitySwitchProps) {
  return (
    <div className="availability">
      <label className={`switch ${disabled ? "switch-disabled" : ""}`}>
        <input type="checkbox" role="switch" checked={available} disabled={disabled} onChange={(event) => onChange(event.target.checked, reason)} />
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        Available for calls
      </label>
      <label className="visually-hidden" htmlFor="away-reason">
        Away reason
      </label>
      {/* Picking a reason while available steps away with it. */}
      <select
        id="away-reason"
        className="away-reason"
        value={reason ?? ""}
        disabled={disabled}
        onChange={(event) => onChange(false, (event.target.value || null) as AwayReason | null)}
      >
        <option value="">{available ? "Step away…" : "Not ready"}</option>
        {(Object.keys(AWAY_REASONS) as AwayReason[]).map((key) => (
          <option key={key} value={key}>
            {AWAY_REASONS[key]}
          </option>
        ))}
      </select>
    </div>
  );
}
