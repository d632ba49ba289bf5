// Replaying a call from its event log through the live console's own reducer (`applyMessage`), at
// the original timing (`offset_ms`), so the replay shows exactly what the agent saw at each moment.
import type { ServerMessage } from "../lib/protocol";
import { applyMessage, emptyCall, type CallView } from "./call";

/** A message of the call event log: every one has its place (`seq`) and time (`offset_ms`). */
export type LoggedMessage = Extract<ServerMessage, { seq: number; offset_ms: number }>;

export const REPLAY_SPEEDS = [1, 2, 4] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

/** How often a playing replay reports its position between events (the scrubber moves smoothly). */
export const TICK_MS = 250;

export function isLoggedMessage(message: unknown): message is LoggedMessage {
  if (typeof message !== "object" || message === null) return false;
  const { type, seq, offset_ms } = message as Record<string, unknown>;
  return typeof type === "string" && typeof seq === "number" && typeof offset_ms === "number";
}

/** The log as the replay plays it: in `seq` order, each event at its offset. */
export interface ReplayScript {
  callId: string;
  events: LoggedMessage[];
  /** When each event is shown. The log order wins: an event never comes before the one logged before it. */
  times: number[];
  /** Up to the last event read so far; the call's length once `complete`. */
  durationMs: number;
  /** Whether the whole log is read; a page at a time, the first frame shows before the rest is read. */
  complete: boolean;
}

/** Checks downloaded events (the `first`th of the log onwards) and orders them; bad input throws with a clear message. */
function checkedEvents(log: unknown, first: number): LoggedMessage[] {
  if (!Array.isArray(log)) throw new Error("The call's log is not a list of events.");
  const bad = log.findIndex((item) => !isLoggedMessage(item));
  if (bad >= 0) throw new Error(`Event ${first + bad + 1} of the call's log has no type, seq or offset_ms.`);
  return [...(log as LoggedMessage[])].sort((a, b) => a.seq - b.seq);
}

/** The script of a log read so far (`complete` when that is all of it). */
export function replayScript(callId: string, log: unknown, complete = true): ReplayScript {
  return extendScript({ callId, events: [], times: [], durationMs: 0, complete: false }, log, complete);
}

/**
 * The script with the next page of the log added after what is read so far. The events before it
 * keep their times (a time depends only on the events before it), so a player showing them can go
 * on; a page that does not follow on in `seq` throws.
 */
export function extendScript(script: ReplayScript, page: unknown, complete: boolean): ReplayScript {
  if (script.complete) throw new Error("The call's log is already read to its end.");
  const added = checkedEvents(page, script.events.length);
  const lastSeq = script.events.length ? script.events[script.events.length - 1].seq : 0;
  if (added.length && added[0].seq <= lastSeq) throw new Error(`A page of the call's log repeats event ${added[0].seq}.`);
  const times = [...script.times];
  for (const event of added) times.push(Math.max(event.offset_ms, times.length ? times[times.length - 1] : 0));
  const durationMs = times.length ? times[times.length - 1] : 0;
  return { callId: script.callId, events: [...script.events, ...added], times, durationMs, complete };
}

/** How many events are shown at `positionMs`. */
export function shownCount(script: ReplayScript, positionMs: number): number {
  let count = 0;
  while (count < script.times.length && script.times[count] <= positionMs) count += 1;
  return count;
}

/** Applies events `from..to-1` of the script to a view, with the live console's reducer. */
export function foldEvents(script: ReplayScript, view: CallView, from: number, to: number): CallView {
  let folded = view;
  for (let index = from; index < to; index += 1) folded = applyMessage(folded, script.events[index]);
  return folded;
}

/** The call as it stood at `positionMs`: every event up to then, folded from the start. */
export function viewAt(script: ReplayScript, positionMs: number): CallView {
  return foldEvents(script, emptyCall(script.callId), 0, shownCount(script, positionMs));
}

/** When the event with this `seq` is shown, or null if the log has none. */
export function timeOfSeq(script: ReplayScript, seq: number): number | null {
  const index = script.events.findIndex((event) => event.seq === seq);
  return index >= 0 ? script.times[index] : null;
}

export interface ReplayMarker {
  offsetMs: number;
  kind: "alert" | "suggestion";
  label: string;
}

/** The scrubber's marks: sentiment alerts and suggestions. */
export function replayMarkers(script: ReplayScript): ReplayMarker[] {
  const markers: ReplayMarker[] = [];
  script.events.forEach((event, index) => {
    if (event.type === "sentiment_alert") markers.push({ offsetMs: script.times[index], kind: "alert", label: `Alert: ${event.reason}` });
    if (event.type === "suggestion") markers.push({ offsetMs: script.times[index], kind: "suggestion", label: `Suggestion: ${event.suggestion}` });
  });
  return markers;
}

/** What the replay shows now. */
export interface ReplayFrame {
  positionMs: number;
  durationMs: number;
  playing: boolean;
  speed: ReplaySpeed;
  /** How many events of the log are shown. */
  shown: number;
  view: CallView;
  /** Whether the whole log is read (until then `durationMs` is where what is read ends). */
  complete: boolean;
  /** A position sought past what is read: the replay goes there once the log is read that far. */
  waitingForMs: number | null;
}

/** The clock the player reads and sets timers on; the browser's by default, fake ones in tests. */
export interface ReplayClock {
  now: () => number;
  setTimer: (callback: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export const browserClock: ReplayClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Plays a script: each event is applied when its time comes (scaled by the speed); seeking folds
 * the log up to the new position. Every state it reports equals `viewAt(script, positionMs)`.
 * While the log is still being read, playing waits at the end of what is read, and a seek past it
 * waits until `extend` brings the log that far.
 */
export class ReplayPlayer {
  private shown = 0;
  private waitingForMs: number | null = null;
  private view: CallView;
  private anchorPositionMs = 0;
  private anchorTime = 0;
  private playing = false;
  private speed: ReplaySpeed = 1;
  private timer: unknown = null;

  constructor(
    private script: ReplayScript,
    private readonly onFrame: (frame: ReplayFrame) => void,
    private readonly clock: ReplayClock = browserClock,
  ) {
    this.view = emptyCall(script.callId);
    this.moveTo(0);
  }

  frame(): ReplayFrame {
    return {
      positionMs: this.position(),
      durationMs: this.script.durationMs,
      playing: this.playing,
      speed: this.speed,
      shown: this.shown,
      view: this.view,
      complete: this.script.complete,
      waitingForMs: this.waitingForMs,
    };
  }

  /** Goes on with more of the same log read (`extendScript` of the script it plays). */
  extend(script: ReplayScript): void {
    const known = this.script.events.length;
    if (script.callId !== this.script.callId || script.events.length < known || script.events[known - 1] !== this.script.events[known - 1]) {
      throw new Error("A replay can only be extended with more of the same call's log.");
    }
    const position = this.position();
    this.script = script;
    this.anchorPositionMs = position; // from where it waited, not as if the wait had been playing time
    this.anchorTime = this.clock.now();
    const target = this.waitingForMs;
    if (target !== null) {
      // Towards a seek past what was read: as far as is read now, and there once it is.
      if (script.complete || target <= script.durationMs) this.waitingForMs = null;
      this.moveTo(Math.min(target, script.durationMs));
    }
    if (this.playing) this.schedule();
    this.emit();
  }

  play(): void {
    if (this.playing) return;
    // At the end: play again from the start (at the end of what is read so far: wait there for more).
    if (this.script.complete && this.anchorPositionMs >= this.script.durationMs) this.moveTo(0);
    this.anchorTime = this.clock.now();
    this.playing = true;
    this.schedule();
    this.emit();
  }

  pause(): void {
    if (!this.playing) return;
    this.anchorPositionMs = this.position();
    this.playing = false;
    this.cancel();
    this.emit();
  }

  setSpeed(speed: ReplaySpeed): void {
    if (!REPLAY_SPEEDS.includes(speed)) throw new Error(`Replay speed must be one of ${REPLAY_SPEEDS.join(", ")}.`);
    this.anchorPositionMs = this.position();
    this.anchorTime = this.clock.now();
    this.speed = speed;
    if (this.playing) this.schedule();
    this.emit();
  }

  seek(positionMs: number): void {
    if (!Number.isFinite(positionMs)) throw new Error("A replay position must be a number of milliseconds.");
    const wanted = Math.max(0, positionMs);
    this.waitingForMs = !this.script.complete && wanted > this.script.durationMs ? wanted : null;
    this.moveTo(Math.min(wanted, this.script.durationMs));
    this.anchorTime = this.clock.now();
    if (this.playing) this.schedule();
    this.emit();
  }

  dispose(): void {
    this.cancel();
    this.playing = false;
  }

  private position(): number {
    if (!this.playing) return this.anchorPositionMs;
    const elapsed = (this.clock.now() - this.anchorTime) * this.speed;
    return Math.min(this.script.durationMs, this.anchorPositionMs + elapsed);
  }

  /** Shows the call as it stood at `positionMs`: forward from the current view, or folded again from the start. */
  private moveTo(positionMs: number): void {
    const target = shownCount(this.script, positionMs);
    if (target < this.shown) {
      this.view = emptyCall(this.script.callId);
      this.shown = 0;
    }
    this.view = foldEvents(this.script, this.view, this.shown, target);
    this.shown = target;
    this.anchorPositionMs = positionMs;
  }

  private schedule(): void {
    this.cancel();
    const position = this.position();
    // At the end of what is read, or waiting to seek further: `extend` schedules again.
    if (!this.script.complete && (this.waitingForMs !== null || position >= this.script.durationMs)) return;
    const nextTime = this.shown < this.script.times.length ? this.script.times[this.shown] : this.script.durationMs;
    const wait = Math.max(0, (nextTime - position) / this.speed);
    this.timer = this.clock.setTimer(() => this.step(), Math.min(wait, TICK_MS));
  }

  private step(): void {
    this.timer = null;
    if (!this.playing) return;
    const position = this.position();
    const now = this.clock.now();
    this.moveTo(position);
    this.anchorTime = now;
    if (this.script.complete && position >= this.script.durationMs && this.shown >= this.script.events.length) {
      this.playing = false;
    } else {
      this.schedule();
    }
    this.emit();
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private emit(): void {
    this.onFrame(this.frame());
  }
}
