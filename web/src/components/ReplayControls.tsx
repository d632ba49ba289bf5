import { REPLAY_SPEEDS, type ReplayFrame, type ReplayMarker } from "../state/replay";
import type { ReplayControls as Controls } from "../state/useReplay";
import { formatDuration } from "./Timer";

interface ReplayControlsProps {
  frame: ReplayFrame;
  controls: Controls;
  markers: ReplayMarker[];
}

/** Play / pause, speed, and a scrubber with the call's alerts and suggestions marked on it. */
export function ReplayControls({ frame, controls, markers }: ReplayControlsProps) {
  const { positionMs, durationMs } = frame;
  const where = (offsetMs: number) => (durationMs > 0 ? (offsetMs / durationMs) * 100 : 0);
  const clock = `${formatDuration(positionMs)} of ${formatDuration(durationMs)}`;
  return (
    <div className="replay-controls" role="group" aria-label="Replay">
      <button
        type="button"
        className="button button-primary replay-play"
        onClick={frame.playing ? controls.pause : controls.play}
        disabled={frame.durationMs === 0}
      >
        {frame.playing ? "Pause" : "Play"}
      </button>
      <div className="replay-speeds" role="group" aria-label="Speed">
        {REPLAY_SPEEDS.map((speed) => (
          <button
            key={speed}
            type="button"
            className={`button button-small ${frame.speed === speed ? "button-selected" : ""}`}
            aria-pressed={frame.speed === speed}
            onClick={() => controls.setSpeed(speed)}
          >
            {speed}x
          </button>
        ))}
      </div>
      <div className="replay-scrubber">
        <input
          type="range"
          min={0}
          max={durationMs}
          step={100}
          value={Math.round(positionMs)}
          aria-label="Position in the call"
          aria-valuetext={clock}
          onChange={(event) => controls.seek(Number(event.target.value))}
        />
        <div className="replay-markers">
          {markers.map((marker, index) => (
            <button
              key={index}
              type="button"
              className={`replay-marker replay-marker-${marker.kind}`}
              style={{ left: `${where(marker.offsetMs)}%` }}
              title={`${formatDuration(marker.offsetMs)} ${marker.label}`}
              aria-label={`Go to ${formatDuration(marker.offsetMs)}: ${marker.label}`}
              onClick={() => controls.seek(marker.offsetMs)}
            />
          ))}
        </div>
      </div>
      <span className="replay-clock numeric" aria-live="off" data-position-ms={Math.round(positionMs)}>
        {clock}
      </span>
    </div>
  );
}
