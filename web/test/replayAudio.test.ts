import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerMessage } from "../src/lib/protocol";
import { ReplayPlayer, replayScript, type ReplayFrame } from "../src/state/replay";
import { AUDIO_DRIFT_MS, spokenSeq, syncAudio, type MediaLike } from "../src/state/replayAudio";

const base = { call_id: "c1", at: "2026-11-24T10:00:00Z" };
const said = (seq: number, startMs: number, endMs: number, text: string): ServerMessage => ({
  ...base, type: "transcript", seq, offset_ms: endMs + 400, speaker: "customer", utterance_id: `u${seq}`, final: true,
  text, stable_text: text, start_ms: startMs, end_ms: endMs,
});
const LOG: ServerMessage[] = [
  { ...base, type: "call_queued", seq: 1, offset_ms: 0, channel: "web", customer_name: "Dana" },
  said(2, 1000, 3000, "Where is my parcel?"),
  said(3, 4000, 6000, "It was due on Monday."),
  { ...base, type: "call_ended", seq: 4, offset_ms: 8000, reason: "hangup", ended_by: "agent" },
] as ServerMessage[];

/** An <audio> element that keeps its own clock, like a browser's, and records what it was told. */
class FakeAudio implements MediaLike {
  currentTime = 0;
  playbackRate = 1;
  paused = true;
  seeks: number[] = [];
  play() {
    this.paused = false;
    return Promise.resolve();
  }
  pause() {
    this.paused = true;
  }
  advance(seconds: number) {
    if (!this.paused) this.currentTime += seconds * this.playbackRate;
  }
}

function syncedPlayer() {
  const audio = new FakeAudio();
  const frames: ReplayFrame[] = [];
  const player = new ReplayPlayer(replayScript("c1", LOG), (frame) => {
    frames.push(frame);
    const before = audio.currentTime;
    syncAudio(audio, frame);
    if (audio.currentTime !== before) audio.seeks.push(audio.currentTime);
  });
  /** Time passes for both clocks alike, as it does in a browser. */
  const tick = (ms: number) => {
    for (let done = 0; done < ms; done += 50) {
      audio.advance(0.05);
      vi.advanceTimersByTime(50);
    }
  };
  return { audio, player, frames, tick };
}

describe("the recording follows the replay", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("plays, pauses, seeks and changes speed with the replay", () => {
    const { audio, player, tick } = syncedPlayer();
    player.play();
    expect(audio.paused).toBe(false);
    tick(1000);
    player.setSpeed(2);
    tick(500);
    expect(audio.playbackRate).toBe(2);
    player.pause();
    expect(audio.paused).toBe(true);
    player.seek(5000);
    expect(audio.currentTime).toBe(5);
    player.play();
    expect(audio.paused).toBe(false);
    expect(audio.seeks).toEqual([5]); // playing along in step needs no seek
  });

  it("moves the audio back only when it drifts past the tolerance", () => {
    const { audio, player, tick } = syncedPlayer();
    player.play();
    tick(1000);
    audio.currentTime += (AUDIO_DRIFT_MS - 50) / 1000; // a little ahead: left alone
    tick(250);
    expect(audio.seeks).toEqual([]);
    audio.currentTime = 3; // far off (a stall): put back where the replay is
    tick(250);
    expect(audio.seeks).toEqual([1.5]);
  });

  it("marks the line being spoken, by its start and end in the recording", () => {
    const script = replayScript("c1", LOG);
    expect(spokenSeq(script, 500)).toBeNull();
    expect(spokenSeq(script, 1000)).toBe(2);
    expect(spokenSeq(script, 2999)).toBe(2);
    expect(spokenSeq(script, 3500)).toBeNull();
    expect(spokenSeq(script, 5000)).toBe(3);
  });
});
