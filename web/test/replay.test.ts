import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerMessage } from "../src/lib/protocol";
import { applyMessage, emptyCall } from "../src/state/call";
import { readReplayLog, REPLAY_FIRST_PAGE, REPLAY_PAGE } from "../src/state/history";
import {
  extendScript,
  ReplayPlayer,
  replayMarkers,
  replayScript,
  shownCount,
  timeOfSeq,
  viewAt,
  type LoggedMessage,
  type ReplayFrame,
  type ReplayScript,
} from "../src/state/replay";

const base = { call_id: "c1", at: "2026-11-24T10:00:00Z" };
const chat = (seq: number, offset: number, text: string, speaker: "customer" | "agent" = "customer"): ServerMessage => ({
  ...base, type: "chat", seq, offset_ms: offset, speaker, author: speaker === "agent" ? "Alex Agent" : "Dana", text, client_id: null,
});

/** A short call: queued, answered at 2 s, four chat lines, a suggestion used, ended at 9 s, wrapped up and summarised. */
const LOG: ServerMessage[] = [
  { ...base, type: "call_queued", seq: 1, offset_ms: 0, channel: "web", customer_name: "Dana" },
  { ...base, type: "call_started", seq: 2, offset_ms: 2000, agent_id: 1, agent_name: "Alex Agent" },
  chat(3, 3000, "Where is my parcel?"),
  {
    ...base, type: "suggestion", seq: 4, offset_ms: 3500, suggestion_id: "s1", suggestion: "Track the order", action: "track_order",
    confidence: 0.9, reasoning: "asks about an order", sources: [], provider: "offline", answers_seq: 3, utterance: "Where is my parcel?",
  },
  { ...base, type: "suggestion_feedback", seq: 5, offset_ms: 4000, suggestion_id: "s1", accepted: true, agent_id: 1 },
  chat(6, 5000, "Let me track it", "agent"),
  chat(7, 7000, "Thank you"),
  { ...base, type: "call_ended", seq: 8, offset_ms: 9000, reason: "hangup", ended_by: "agent" },
  { ...base, type: "call_wrapped_up", seq: 9, offset_ms: 10_000, disposition: "resolved", notes: "Parcel tracked" },
  {
    ...base, type: "call_summary", seq: 10, offset_ms: 10_500, reason: "Where is my parcel?", actions: ["Track the order"], outcome: "Resolved",
    follow_ups: [], notes: "Parcel tracked.", sentiment_start: null, sentiment_end: null, provider: "offline",
  },
] as ServerMessage[];

const chatLines = (frame: { view: ReturnType<typeof emptyCall> }) =>
  frame.view.timeline.filter((entry) => entry.kind === "chat").map((entry) => entry.text);

/** A player on fake timers, remembering every frame it reported. */
function player(log: unknown = LOG) {
  const frames: ReplayFrame[] = [];
  const replay = new ReplayPlayer(replayScript("c1", log), (frame) => frames.push(frame));
  return { replay, frames, last: () => replay.frame() };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-12-01T09:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("replay script", () => {
  it("orders the log by seq and never shows an event before the one logged before it", () => {
    const script = replayScript("c1", [chat(2, 1000, "b"), chat(1, 1500, "a"), chat(3, 1200, "c")]);
    expect(script.events.map((event) => event.seq)).toEqual([1, 2, 3]);
    expect(script.times).toEqual([1500, 1500, 1500]);
    expect(script.durationMs).toBe(1500);
    expect(timeOfSeq(script, 3)).toBe(1500);
    expect(timeOfSeq(script, 9)).toBeNull();
  });

  it("refuses a log that is not a list of logged events, saying why", () => {
    expect(() => replayScript("c1", { detail: "no" })).toThrow("not a list of events");
    expect(() => replayScript("c1", [LOG[0], { type: "chat", text: "no seq" }])).toThrow("Event 2 of the call's log has no type, seq or offset_ms.");
  });

  it("folds the log with the live console's reducer", () => {
    const script = replayScript("c1", LOG);
    expect(viewAt(script, script.durationMs)).toEqual(LOG.reduce(applyMessage, emptyCall("c1")));
    expect(shownCount(script, 4999)).toBe(5);
    const end = viewAt(script, script.durationMs);
    expect(end.suggestions.map((record) => record.state)).toEqual(["accepted"]);
    expect(end.wrapUpNotes).toBe("Parcel tracked");
    expect(end.summary?.notes).toBe("Parcel tracked.");
    expect(replayMarkers(script)).toEqual([{ offsetMs: 3500, kind: "suggestion", label: "Suggestion: Track the order" }]);
  });
});

describe("replay player", () => {
  it("starts paused at the start of the call", () => {
    const { replay } = player();
    const frame = replay.frame();
    expect(frame).toMatchObject({ positionMs: 0, durationMs: 10_500, playing: false, speed: 1, shown: 1 });
    expect(frame.view.customerName).toBe("Dana");
    vi.advanceTimersByTime(60_000);
    expect(replay.frame().shown).toBe(1);
  });

  it("shows each event when its offset comes at 1x", () => {
    const { replay } = player();
    replay.play();
    vi.advanceTimersByTime(2999);
    expect(chatLines(replay.frame())).toEqual([]);
    expect(replay.frame().view.phase).toBe("active");
    vi.advanceTimersByTime(1);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?"]);
    vi.advanceTimersByTime(1999);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?"]);
    vi.advanceTimersByTime(1);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it"]);
    vi.advanceTimersByTime(10_000);
    const end = replay.frame();
    expect(end).toMatchObject({ playing: false, positionMs: 10_500, shown: LOG.length });
    expect(end.view).toEqual(viewAt(replayScript("c1", LOG), 10_500));
  });

  it("plays four times as fast at 4x, and changing speed keeps the position", () => {
    const { replay } = player();
    replay.setSpeed(4);
    replay.play();
    vi.advanceTimersByTime(749); // 2996 ms of the call
    expect(chatLines(replay.frame())).toEqual([]);
    vi.advanceTimersByTime(1); // 3000 ms
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?"]);
    replay.setSpeed(2);
    expect(replay.frame().positionMs).toBe(3000);
    vi.advanceTimersByTime(1000); // 2000 ms more of the call at 2x
    expect(replay.frame().positionMs).toBe(5000);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it"]);
    expect(() => replay.setSpeed(3 as 1)).toThrow("Replay speed must be one of 1, 2, 4.");
  });

  it("pauses and resumes where it was", () => {
    const { replay } = player();
    replay.play();
    vi.advanceTimersByTime(4000);
    replay.pause();
    vi.advanceTimersByTime(30_000);
    expect(replay.frame()).toMatchObject({ positionMs: 4000, playing: false });
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?"]);
    replay.play();
    vi.advanceTimersByTime(1000);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it"]);
  });

  it("seeks back and forth by folding the log up to the new position", () => {
    const { replay } = player();
    const script = replayScript("c1", LOG);
    replay.seek(7000);
    expect(replay.frame().view).toEqual(viewAt(script, 7000));
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it", "Thank you"]);
    replay.seek(3500);
    expect(replay.frame().view).toEqual(viewAt(script, 3500));
    expect(replay.frame().view.suggestion?.suggestion_id).toBe("s1");
    expect(replay.frame().view.suggestionState).toBe("new"); // the agent had not used it yet
    replay.seek(-5);
    expect(replay.frame().positionMs).toBe(0);
    replay.seek(99_000);
    expect(replay.frame()).toMatchObject({ positionMs: 10_500, shown: LOG.length });
    expect(() => replay.seek(Number.NaN)).toThrow("number of milliseconds");
  });

  it("keeps playing from a seek made while playing", () => {
    const { replay } = player();
    replay.play();
    vi.advanceTimersByTime(1000);
    replay.seek(6000);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it"]);
    vi.advanceTimersByTime(1000);
    expect(chatLines(replay.frame())).toEqual(["Where is my parcel?", "Let me track it", "Thank you"]);
  });

  it("shows the same state at the same offset whatever the speed or the seeks on the way (deterministic)", () => {
    const script = replayScript("c1", LOG);
    const checkpoints = [2500, 3600, 5200, 9100, 10_500];
    for (const [speed, seeks] of [[1, []], [2, [8000, 1000]], [4, [10_000, 0, 4000]]] as const) {
      const { replay } = player();
      for (const target of seeks) replay.seek(target);
      replay.seek(0);
      replay.setSpeed(speed);
      replay.play();
      let at = 0;
      for (const checkpoint of checkpoints) {
        vi.advanceTimersByTime((checkpoint - at) / speed);
        at = checkpoint;
        expect(replay.frame().positionMs).toBe(checkpoint);
        expect(replay.frame().view).toEqual(viewAt(script, checkpoint));
      }
    }
  });

  it("reports its position while playing, so the scrubber moves between events", () => {
    const { replay, frames } = player();
    replay.play();
    vi.advanceTimersByTime(1000);
    const positions = frames.map((frame) => frame.positionMs);
    expect(positions).toEqual([0, 250, 500, 750, 1000]);
  });

  it("plays again from the start once it has reached the end", () => {
    const { replay } = player();
    replay.seek(10_500);
    replay.play();
    expect(replay.frame().positionMs).toBe(0);
    expect(replay.frame().playing).toBe(true);
    replay.dispose();
    vi.advanceTimersByTime(20_000);
    expect(replay.frame().playing).toBe(false);
  });
});

/** The script of LOG read in pages cut at `cuts` (event counts), each later page added as it "arrives". */
function pagedScripts(cuts: number[]): ReplayScript[] {
  const bounds = [0, ...cuts, LOG.length];
  const scripts = [replayScript("c1", LOG.slice(0, bounds[1]), bounds.length === 2)];
  for (let page = 1; page < bounds.length - 1; page += 1) {
    const last = page === bounds.length - 2;
    scripts.push(extendScript(scripts[scripts.length - 1], LOG.slice(bounds[page], bounds[page + 1]), last));
  }
  return scripts;
}

describe("replay from pages of the log", () => {
  it("builds the same script and states from pages as from the whole log (deterministic)", () => {
    const whole = replayScript("c1", LOG);
    for (const cuts of [[1], [3], [2, 5, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9], [9]]) {
      const scripts = pagedScripts(cuts);
      const built = scripts[scripts.length - 1];
      expect(built).toEqual(whole);
      expect(replayMarkers(built)).toEqual(replayMarkers(whole));
      for (const at of [0, 2000, 3500, 7000, 10_500]) expect(viewAt(built, at)).toEqual(viewAt(whole, at));
      // Every page read so far already shows what the whole log shows up to where it ends.
      for (const partial of scripts) expect(viewAt(partial, partial.durationMs)).toEqual(viewAt(whole, partial.durationMs));
    }
  });

  it("refuses a page that does not follow on from what was read, or one after the end", () => {
    const first = replayScript("c1", LOG.slice(0, 4), false);
    expect(() => extendScript(first, LOG.slice(2, 6), false)).toThrow("A page of the call's log repeats event 3.");
    expect(() => extendScript(first, [{ type: "chat" }], false)).toThrow("Event 5 of the call's log has no type, seq or offset_ms.");
    expect(() => extendScript(replayScript("c1", LOG), [], true)).toThrow("already read to its end");
  });

  it("plays a call being read in pages to the same frames as the whole call, waiting at the end of what is read", () => {
    const scripts = pagedScripts([3, 6]);
    const whole = replayScript("c1", LOG);
    for (const speed of [1, 4] as const) {
      const replay = new ReplayPlayer(scripts[0], () => undefined);
      expect(replay.frame()).toMatchObject({ positionMs: 0, durationMs: 3000, complete: false, waitingForMs: null });
      replay.setSpeed(speed);
      replay.play();
      vi.advanceTimersByTime(3000 / speed);
      expect(replay.frame().view).toEqual(viewAt(whole, 3000));
      vi.advanceTimersByTime(5000); // nothing more is read yet: it waits at 3 s, still playing
      expect(replay.frame()).toMatchObject({ positionMs: 3000, playing: true });
      replay.extend(scripts[1]);
      vi.advanceTimersByTime(1000 / speed);
      expect(replay.frame().positionMs).toBe(4000); // on from where it waited, not where the clock got to
      expect(replay.frame().view).toEqual(viewAt(whole, 4000));
      replay.extend(scripts[2]);
      vi.advanceTimersByTime(20_000);
      expect(replay.frame()).toMatchObject({ positionMs: 10_500, playing: false, complete: true, shown: LOG.length });
      expect(replay.frame().view).toEqual(viewAt(whole, 10_500));
      replay.dispose();
    }
  });

  it("waits for a seek past what is read, then lands where it was sent", () => {
    const scripts = pagedScripts([3, 6]);
    const whole = replayScript("c1", LOG);
    const replay = new ReplayPlayer(scripts[0], () => undefined);
    replay.seek(9500);
    expect(replay.frame()).toMatchObject({ positionMs: 3000, waitingForMs: 9500 });
    replay.extend(scripts[1]); // read up to 5 s: still short of 9.5 s
    expect(replay.frame()).toMatchObject({ positionMs: 5000, waitingForMs: 9500 });
    replay.extend(scripts[2]);
    expect(replay.frame()).toMatchObject({ positionMs: 9500, waitingForMs: null });
    expect(replay.frame().view).toEqual(viewAt(whole, 9500));
    expect(() => replay.extend(replayScript("c2", LOG))).toThrow("same call's log");
  });

  it("reads the log for a replay a page at a time, showing the first page before the rest is read", async () => {
    // A long call: queued, then 1,500 chat lines.
    const log = [LOG[0], ...Array.from({ length: 1500 }, (_, index) => chat(index + 2, 1000 * (index + 1), `line ${index}`))] as LoggedMessage[];
    const asked: [number, number][] = [];
    const shown: ReplayScript[] = [];
    // The route's paging: up to `limit` events after `afterSeq`, and where the next page starts.
    const readPage = async (_callId: string, afterSeq: number, limit: number) => {
      asked.push([afterSeq, limit]);
      const events = log.filter((event) => event.seq > afterSeq).slice(0, limit);
      const more = log.some((event) => event.seq > events[events.length - 1].seq);
      return { events, nextAfterSeq: more ? events[events.length - 1].seq : null };
    };
    await readReplayLog("c1", (script) => shown.push(script), () => true, readPage);
    expect(asked).toEqual([[0, REPLAY_FIRST_PAGE], [REPLAY_FIRST_PAGE, REPLAY_PAGE], [REPLAY_FIRST_PAGE + REPLAY_PAGE, REPLAY_PAGE]]);
    expect(shown.map((script) => [script.events.length, script.complete])).toEqual([[200, false], [1200, false], [1501, true]]);
    expect(shown[2]).toEqual(replayScript("c1", log));

    // A page that has moved on stops reading after the first page.
    asked.length = 0;
    await readReplayLog("c1", () => undefined, () => asked.length < 1, readPage);
    expect(asked).toEqual([[0, REPLAY_FIRST_PAGE]]);
  });
});
