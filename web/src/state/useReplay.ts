// Runs a ReplayPlayer for a page: the frame it shows now, and the controls.
import { useEffect, useMemo, useRef, useState } from "react";
import { ReplayPlayer, type ReplayFrame, type ReplayScript, type ReplaySpeed } from "./replay";

export interface ReplayControls {
  play: () => void;
  pause: () => void;
  seek: (positionMs: number) => void;
  setSpeed: (speed: ReplaySpeed) => void;
}

export function useReplay(script: ReplayScript): [ReplayFrame, ReplayControls] {
  // The first render shows the start of the call; the player made in the effect takes over from there.
  const [frame, setFrame] = useState<ReplayFrame>(() => new ReplayPlayer(script, () => undefined).frame());
  const player = useRef<ReplayPlayer | null>(null);

  useEffect(() => {
    const live = new ReplayPlayer(script, setFrame);
    player.current = live;
    setFrame(live.frame());
    return () => {
      live.dispose();
      if (player.current === live) player.current = null;
    };
  }, [script]);

  const controls = useMemo<ReplayControls>(
    () => ({
      play: () => player.current?.play(),
      pause: () => player.current?.pause(),
      seek: (positionMs) => player.current?.seek(positionMs),
      setSpeed: (speed) => player.current?.setSpeed(speed),
    }),
    [],
  );
  return [frame, controls];
}
