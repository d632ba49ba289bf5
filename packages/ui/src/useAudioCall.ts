// The microphone side of a call as a hook: capture while active and not muted, the input level for a
// meter, mute, and a readable problem (denied, missing, unsupported) with a way to try again.
import { useEffect, useRef, useState } from "react";
import { DEFAULT_WORKLET_URL, describeMicrophoneError, MicrophoneError, startMicrophone } from "./microphone.js";
import type { MicrophoneCapture } from "./microphone.js";

export interface AudioCallOptions {
  /** Capture only while true (a call in progress). */
  active: boolean;
  /** Each 20 ms frame of 16 kHz mono PCM16, little-endian. */
  onFrame: (pcm: ArrayBuffer) => void;
  /** Capture started (e.g. tell the server the audio format). */
  onStart?: () => void;
  /** Capture stopped: muted, inactive or unmounted. */
  onStop?: () => void;
  /** Where the AudioWorklet is served. */
  workletUrl?: string;
}

export interface AudioCall {
  muted: boolean;
  setMuted: (muted: boolean) => void;
  toggleMute: () => void;
  /** RMS input level, 0..1 (0 while muted or stopped). */
  level: number;
  capturing: boolean;
  /** Why capture failed, worded for people; null when fine. */
  problem: string | null;
  retry: () => void;
}

export function useAudioCall(options: AudioCallOptions): AudioCall {
  const [muted, setMuted] = useState(false);
  const [level, setLevel] = useState(0);
  const [capturing, setCapturing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  // The latest callbacks, without restarting capture when the caller passes new closures.
  const latest = useRef(options);
  latest.current = options;
  const live = options.active && !muted;
  const workletUrl = options.workletUrl ?? DEFAULT_WORKLET_URL;

  useEffect(() => {
    if (!live) return;
    let cancelled = false;
    let capture: MicrophoneCapture | null = null;
    setProblem(null);
    startMicrophone((pcm) => latest.current.onFrame(pcm), setLevel, workletUrl)
      .then((started) => {
        if (cancelled) {
          started.stop();
          return;
        }
        capture = started;
        setCapturing(true);
        latest.current.onStart?.();
      })
      .catch((error: unknown) => {
        if (!cancelled) setProblem((error instanceof MicrophoneError ? error : describeMicrophoneError(error)).message);
      });
    return () => {
      cancelled = true;
      if (capture) {
        capture.stop();
        latest.current.onStop?.();
      }
      setCapturing(false);
      setLevel(0);
    };
  }, [live, attempt, workletUrl]);

  return {
    muted,
    setMuted,
    toggleMute: () => setMuted((value) => !value),
    level: muted ? 0 : level,
    capturing,
    problem,
    retry: () => setAttempt((n) => n + 1),
  };
}
