// Checks of a call's recording on the replay page: its audio against the logged transcript, and the
// transcript line marked while it plays. Both read the recording through the page's own <audio> element.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Page } from "playwright-core";
import { RESULTS } from "./server";

/** An event of the JSON export (the call's log), as far as these checks read it. */
export interface LoggedEvent {
  type: string;
  seq: number;
  offset_ms: number;
  text?: string;
  speaker?: string;
  final?: boolean;
  start_ms?: number;
  end_ms?: number;
}

export interface SpokenLine {
  text: string;
  start_ms: number;
  end_ms: number;
}

/** The final transcript lines one party said, in the order they were said. */
export function finalTranscripts(log: LoggedEvent[], speaker: "customer" | "agent"): SpokenLine[] {
  return log
    .filter((event) => event.type === "transcript" && event.final && event.speaker === speaker)
    .map((event) => ({ text: event.text!, start_ms: event.start_ms!, end_ms: event.end_ms! }))
    .sort((a, b) => a.start_ms - b.start_ms);
}

/** How far (ms) a line's edges may be from where the speech starts and stops (the VAD's padding). */
const EDGE_MS = 700;

/**
 * Decodes the recording the page's <audio> points at and checks, for each line, that the customer's
 * channel is loud within `start_ms`-`end_ms` and quiet a second before and after it (the speech file
 * has seconds of silence between its loops). A recording placed off the call's timeline fails this.
 */
export async function checkRecordingFollowsTranscript(page: Page, lines: SpokenLine[]): Promise<void> {
  const measured = await page.evaluate(
    async ({ lines, edge }) => {
      const audio = document.querySelector<HTMLAudioElement>('audio[aria-label="Call recording"]')!;
      const response = await fetch(audio.src, { cache: "no-store" }); // the whole file, not a range the player cached
      const bytes = await response.arrayBuffer();
      const magic = new TextDecoder().decode(bytes.slice(0, 4));
      const decoded = await new OfflineAudioContext(2, 16000, 16000).decodeAudioData(bytes);
      const customer = decoded.getChannelData(0);
      const rate = decoded.sampleRate;
      const rms = (fromMs: number, toMs: number) => {
        const from = Math.max(0, Math.floor((fromMs / 1000) * rate));
        const to = Math.min(customer.length, Math.floor((toMs / 1000) * rate));
        let sum = 0;
        for (let i = from; i < to; i++) sum += customer[i] * customer[i];
        return to > from ? Math.sqrt(sum / (to - from)) : 0;
      };
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        magic,
        channels: decoded.numberOfChannels,
        durationMs: decoded.duration * 1000,
        lines: lines.map((line) => ({
          text: line.text,
          inside: rms(line.start_ms, line.end_ms),
          before: rms(line.start_ms - edge - 1000, line.start_ms - edge),
          after: rms(line.end_ms + edge, line.end_ms + edge + 1000),
        })),
      };
    },
    { lines, edge: EDGE_MS },
  );
  writeFileSync(join(RESULTS, "recording-levels.json"), JSON.stringify(measured, null, 1));
  expect(measured.status).toBe(200);
  expect(measured.type).toBe("audio/ogg");
  expect(measured.magic).toBe("OggS");
  expect(measured.channels).toBe(2);
  expect(measured.durationMs).toBeGreaterThan(lines[lines.length - 1].end_ms);
  for (const line of measured.lines) {
    expect(line.inside, line.text).toBeGreaterThan(0.01);
    expect(line.inside, line.text).toBeGreaterThan(5 * Math.max(line.before, line.after));
  }
}

export interface HeardReplay {
  /** How far the audio got (ms into the call). */
  playedToMs: number;
  /** Each change of the marked line: where the audio was and the line's text. */
  marked: { atMs: number; text: string }[];
  /** Marks seen while the audio was outside every line with that text (more than the allowed drift away). */
  misplaced: { atMs: number; text: string }[];
}

/** How far the audio and the replay's clock may drift apart (the page moves the audio back past 250 ms) plus a frame. */
const DRIFT_MS = 400;

/**
 * Moves the replay to the start, plays it at 2x with the recording, and watches on every animation
 * frame which transcript line is marked as being spoken, against the audio element's own clock.
 */
export async function playAndWatchSpokenLine(page: Page, lines: SpokenLine[]): Promise<HeardReplay> {
  await page.getByRole("button", { name: "2x", exact: true }).click();
  const scrubber = page.getByLabel("Position in the call");
  await scrubber.focus();
  await scrubber.press("Home");
  await expect.poll(() => scrubber.inputValue()).toBe("0");
  await page.evaluate(() => {
    const audio = document.querySelector<HTMLAudioElement>('audio[aria-label="Call recording"]')!;
    const samples: { atMs: number; playing: boolean; text: string | null }[] = [];
    const watch = () => {
      const marked = document.querySelector(".line-index .line-spoken button");
      samples.push({ atMs: audio.currentTime * 1000, playing: !audio.paused, text: marked?.getAttribute("aria-label") ?? null });
      requestAnimationFrame(watch);
    };
    watch();
    (window as unknown as { heard: typeof samples }).heard = samples;
  });
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.getByRole("button", { name: "Pause", exact: true }).waitFor();
  await page.getByRole("button", { name: "Play", exact: true }).waitFor({ timeout: 120_000 }); // the replay reached the end
  const samples = await page.evaluate(() => (window as unknown as { heard: { atMs: number; playing: boolean; text: string | null }[] }).heard);

  const played = samples.filter((sample) => sample.playing);
  const heard: HeardReplay = { playedToMs: Math.max(0, ...played.map((sample) => sample.atMs)), marked: [], misplaced: [] };
  let last: string | null = null;
  for (const sample of played) {
    if (sample.text === null) {
      last = null;
      continue;
    }
    const text = sample.text.replace(/^Go to \d+:\d+: /, "");
    if (sample.text !== last) heard.marked.push({ atMs: sample.atMs, text });
    last = sample.text;
    const within = lines.some((line) => line.text === text && line.start_ms - DRIFT_MS <= sample.atMs && sample.atMs <= line.end_ms + DRIFT_MS);
    if (!within) heard.misplaced.push({ atMs: sample.atMs, text });
  }
  writeFileSync(join(RESULTS, "recording-heard.json"), JSON.stringify({ ...heard, samples: samples.length }, null, 1));
  return heard;
}
