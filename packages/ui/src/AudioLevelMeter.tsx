// A microphone's input level as a bar: the meter role, so screen readers hear the value too.

export interface AudioLevelMeterProps {
  /** The input's RMS level, 0..1 (speech is typically 0.01..0.2). */
  level: number;
  /** A muted input shows an empty meter whatever the level. */
  muted?: boolean;
  label?: string;
}

/** RMS to a percentage that moves visibly for normal speech (square root, then scaled). */
export function levelPercent(level: number): number {
  if (!Number.isFinite(level) || level <= 0) return 0;
  return Math.min(100, Math.round(Math.sqrt(level) * 180));
}

export function AudioLevelMeter({ level, muted = false, label = "Microphone level" }: AudioLevelMeterProps) {
  const percent = muted ? 0 : levelPercent(level);
  return (
    <div
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      data-muted={muted || undefined}
    >
      <div className="meter-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
