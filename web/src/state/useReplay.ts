// Runs a ReplayPlayer for a page: the frame it shows now, and the controls.
import { useEffect, useMemo, useRef, useState } from "react";
import { ReplayPlayer, type ReplayFrame, type ReplayScript, type ReplaySpeed } from "./replay";

export interface ReplayControls {
  play: () => void;
  pause: () => void;
  seek: (positionMs: number) => void;
  setSpeed: (speed: ReplaySpeed) => void;
}

/** `script` may grow as the log's pages arrive (`extendScript`): the same player goes on with it. */
export function useReplay(script: ReplayScript): [ReplayFrame, ReplayControls] {
  // The first render shows the start of the call; the player made in the effect takes over from there.
  const [frame, setFrame] = useState<ReplayFrame>(() => new ReplayPlayer(script, () => undefined).frame());
  const player = useRef<{ live: ReplayPlayer; script: ReplayScript } | null>(null);
  const latest = useRef(script);
  latest.current = script;

  useEffect(() => {
    const live = new ReplayPlayer(latest.current, setFrame);
    player.current = { live, script: latest.current };
    setFrame(live.frame());
    return () => {
      live.dispose();
      if (player.current?.live === live) player.current = null;
    };
  }, [script.callId]);

  useEffect(() => {
    const current = player.current;
    if (!current || current.script === script) return;
    current.live.extend(script);
    current.script = script;
  }, [script]);

  const controls = useMemo<ReplayControls>(
    () => ({
      play: () => player.current?.live.play(),
      pause: () => player.current?.live.pause(),
      seek: (positionMs) => player.current?.live.seek(positionMs),
      setSpeed: (speed) => player.current?.live.setSpeed(speed),
    }),
    [],
  );
  return [frame, controls];
}
