// The call's recording played along with a replay: the replay's clock leads, the audio element follows.
// Both share one time axis: the recording starts at the call's offset 0, like `offset_ms` and `start_ms`.
import type { ServerMessage } from "../lib/protocol";
import type { ReplayFrame, ReplayScript } from "./replay";

/** What the sync needs of an <audio> element (a fake one in tests). */
export interface MediaLike {
  currentTime: number;
  playbackRate: number;
  readonly paused: boolean;
  play: () => Promise<void> | void;
  pause: () => void;
}

/** How far the audio may wander from the replay before it is moved back (a seek would be heard as a skip). */
export const AUDIO_DRIFT_MS = 250;

/** Makes the audio follow one replay frame: its speed, its position (seeks and drift), play and pause. */
export function syncAudio(media: MediaLike, frame: ReplayFrame): void {
  if (media.playbackRate !== frame.speed) media.playbackRate = frame.speed;
  const target = frame.positionMs / 1000;
  if (Math.abs(media.currentTime - target) * 1000 > AUDIO_DRIFT_MS) media.currentTime = target;
  if (frame.playing && media.paused) {
    // A browser may refuse to play before the page was interacted with; the replay goes on silent.
    Promise.resolve(media.play()).catch(() => undefined);
  } else if (!frame.playing && !media.paused) {
    media.pause();
  }
}

/** The `seq` of the final transcript line being spoken at `positionMs` (the latest one to start), or null. */
export function spokenSeq(script: ReplayScript, positionMs: number): number | null {
  let found: { seq: number; start: number } | null = null;
  // Logged transcripts are finals; the protocol's type also covers partials (seq null), which are never logged.
  for (const event of script.events as ServerMessage[]) {
    if (event.type !== "transcript" || !event.final || event.seq === null) continue;
    if (event.start_ms <= positionMs && positionMs < event.end_ms && (found === null || event.start_ms >= found.start)) {
      found = { seq: event.seq, start: event.start_ms };
    }
  }
  return found?.seq ?? null;
}

export function recordingHref(callId: string): string {
  return `/api/calls/${encodeURIComponent(callId)}/recording`;
}
