interface AvailabilitySwitchProps {
  available: boolean;
  disabled: boolean;
  onChange: (available: boolean) => void;
}

/** The agent's "ready for calls" switch; its state is what the server confirmed, not the last click. */
export function AvailabilitySwitch({ available, disabled, onChange }: AvailabilitySwitchProps) {
  return (
    <label className={`switch ${disabled ? "switch-disabled" : ""}`}>
      <input type="checkbox" role="switch" checked={available} disabled={disabled} onChange={(event) => onChange(event.target.checked)} />
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      Available for calls
    </label>
  );
}
