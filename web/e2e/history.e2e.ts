// A call made in the browser, the customer speaking into a microphone (a real voice from a file), is
// found in the call history by a word said in it, replayed at 4x (its chat lines appear in the order
// they were sent), sought, replayed with its recording (the audio loads, plays, and the line being
// heard is the one marked), and exported.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { RESULTS, fakeMicrophone, launchChromium, loginAs, speechWav, startEarshot, waitForTranscription, type RunningEarshot } from "./server";
import { checkRecordingFollowsTranscript, finalTranscripts, playAndWatchSpokenLine, type LoggedEvent } from "./recording";

let earshot: RunningEarshot;
let browser: Browser;
let customerBrowser: Browser;

const CUSTOMER = "Hana History";
const CUSTOMER_LINE = "My umbrella order has not arrived yet";
const AGENT_LINE = "I am sorry, let me track the umbrella for you";
/** What the customer says, over and over (speech-real/ieee-01-01: "The birch canoe slid on the smooth planks."). */
const SPOKEN = /canoe/i;

beforeAll(async () => {
  earshot = await startEarshot();
  browser = await launchChromium();
  customerBrowser = await launchChromium(fakeMicrophone(speechWav("ieee-01-01")));
});

afterAll(async () => {
  await browser?.close();
  await customerBrowser?.close();
  await earshot?.stop();
});

/** One whole call through the customer page and the agent console: answered, the customer speaks, a chat line each way, ended, wrapped up. */
async function makeCall(base: string): Promise<void> {
  const agent = await loginAs(await browser.newContext(), base, "agent1", "agent1-demo-pass");
  await agent.waitForURL(`${base}/agent`);
  await agent.getByRole("status").getByText("Connected").waitFor();
  await waitForTranscription(base);
  await agent.getByRole("switch", { name: "Available for calls" }).click();
  await agent.getByText("Waiting for the next call").waitFor();

  const customer = await (await customerBrowser.newContext()).newPage();
  await customer.goto(`${base}/call`);
  await customer.getByText("This call is transcribed and recorded").waitFor();
  await customer.getByLabel("Your name").fill(CUSTOMER);
  await customer.getByRole("button", { name: "Start call" }).click();
  await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
  await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();
  // The customer's words reach the agent as final lines: twice, so the replay has a line to move on to.
  const spoken = agent.getByRole("log").locator('[data-kind="transcript"][data-final="true"]').filter({ hasText: SPOKEN });
  await expect.poll(() => spoken.count(), { timeout: 90_000 }).toBeGreaterThanOrEqual(2);

  await customer.getByLabel("Message").fill(CUSTOMER_LINE);
  await customer.getByRole("button", { name: "Send" }).click();
  await agent.getByRole("log").getByText(CUSTOMER_LINE).waitFor();
  await agent.getByLabel("Message").fill(AGENT_LINE);
  await agent.getByRole("button", { name: "Send" }).click();
  await customer.getByRole("log").getByText(AGENT_LINE).waitFor();

  await agent.getByRole("button", { name: "End call" }).click();
  await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
  // The post-call summary fills the notes a moment after the call ends: why the customer called.
  await expect.poll(() => agent.getByLabel("Notes").inputValue(), { timeout: 30_000 }).toMatch(/^Reason: /);
  await agent.getByLabel("Resolved", { exact: true }).check();
  await agent.getByRole("button", { name: "File wrap-up" }).click();
  await agent.getByText("Waiting for the next call").waitFor();
  await agent.context().close();
  await customer.context().close();
}

/** Presses Search and waits for the answer to show: the call's row, or the empty list. */
async function search(page: Page, words: string): Promise<"found" | "none"> {
  await page.getByLabel("Words said").fill(words);
  const link = page.getByRole("link", { name: `Open the call with ${CUSTOMER}` });
  const none = page.getByText("No calls match these filters.");
  await Promise.all([
    page.waitForResponse((response) => response.url().includes("/api/history?")),
    page.getByRole("button", { name: "Search", exact: true }).click(),
  ]);
  await none.or(link).first().waitFor();
  return (await link.isVisible()) ? "found" : "none";
}

/** Searches until the call shows: its words are indexed a moment after it ends. */
async function searchUntilFound(page: Page, words: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await search(page, words)) === "none") {
    if (Date.now() > deadline) throw new Error(`the call was not found by "${words}" within 30 s`);
    await page.waitForTimeout(500);
  }
}

/** When each of these texts first appeared in the replayed conversation, in ms since this was called. */
async function watchLines(page: Page, texts: string[]): Promise<void> {
  await page.evaluate((wanted) => {
    const seen: Record<string, number> = {};
    const start = performance.now();
    const log = document.querySelector('[role="log"][aria-label="Conversation"]')!;
    const check = () => {
      for (const text of wanted) if (!(text in seen) && log.textContent?.includes(text)) seen[text] = performance.now() - start;
    };
    check();
    new MutationObserver(check).observe(log, { childList: true, subtree: true, characterData: true });
    (window as unknown as { seenLines: Record<string, number> }).seenLines = seen;
  }, texts);
}

describe("call history and replay", () => {
  it("finds a call by a word said in it, replays it at 4x in order, seeks, plays its recording and exports it", async () => {
    const base = earshot.baseUrl;
    await makeCall(base);

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await loginAs(context, base, "supervisor", "supervisor-demo-pass");
    await page.waitForURL(`${base}/supervisor`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History", exact: true }).click();
    await page.getByRole("heading", { name: "Call history", level: 1 }).waitFor();

    // A word nobody said finds nothing; a word spoken into the microphone finds the call, and so does
    // "umbrellas" from the chat (the search is stemmed).
    expect(await search(page, "xylophone")).toBe("none");
    await searchUntilFound(page, "canoe");
    await searchUntilFound(page, "umbrellas");
    const csvHref = await page.getByRole("link", { name: "Download these calls as CSV" }).getAttribute("href");
    const csv = await (await context.request.get(`${base}${csvHref}`)).text();
    expect(csv.split(/\r?\n/)[0]).toMatch(/^call_id,queued_at,/);
    expect(csv).toContain(CUSTOMER);
    await page.screenshot({ path: join(RESULTS, "history.png"), fullPage: true });

    await page.getByRole("link", { name: `Open the call with ${CUSTOMER}` }).click();
    await page.getByRole("heading", { name: CUSTOMER, level: 1 }).waitFor();
    const conversation = page.getByRole("log", { name: "Conversation" });
    expect(await conversation.textContent()).not.toContain(CUSTOMER_LINE); // the replay starts before anything was said

    // Play at 4x: both lines appear, the customer's first, and the replay stops at the end.
    await page.getByRole("button", { name: "4x", exact: true }).click();
    await watchLines(page, [CUSTOMER_LINE, AGENT_LINE]);
    await page.getByRole("button", { name: "Play", exact: true }).click();
    await conversation.getByText(AGENT_LINE).waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seenLines: Record<string, number> }).seenLines);
    expect(seen[CUSTOMER_LINE]).toBeGreaterThan(0);
    expect(seen[AGENT_LINE]).toBeGreaterThan(seen[CUSTOMER_LINE]);
    await page.getByRole("button", { name: "Play", exact: true }).waitFor({ timeout: 30_000 });
    const clock = (await page.locator(".replay-clock").textContent())!;
    const [at, end] = clock.split(" of ");
    expect(at).toBe(end);
    await page.screenshot({ path: join(RESULTS, "replay-end.png"), fullPage: true });

    // Seek to the customer's line: the conversation as it stood then, before the agent's answer.
    await page.getByRole("button", { name: new RegExp(`^Go to \\d+:\\d+: ${CUSTOMER_LINE}$`) }).click();
    await conversation.getByText(AGENT_LINE).waitFor({ state: "detached" });
    expect(await conversation.textContent()).toContain(CUSTOMER_LINE);
    const position = Number(await page.getByLabel("Position in the call").inputValue());
    expect(position).toBeGreaterThan(0);
    await page.screenshot({ path: join(RESULTS, "replay-seek.png"), fullPage: true });

    // The recording: it loads, its customer channel holds speech exactly where the transcript says
    // the customer spoke, and played from the start it is heard with the line being said marked.
    const callId = page.url().split("/history/")[1];
    const log = (await (await context.request.get(`${base}/api/calls/${callId}/export?format=json`)).json()) as LoggedEvent[];
    const spokenLines = finalTranscripts(log, "customer");
    expect(spokenLines.filter((line) => SPOKEN.test(line.text)).length).toBeGreaterThanOrEqual(2);
    await page.getByText("The recording plays with the replay.").waitFor();
    const audio = page.getByLabel("Call recording");
    expect(await audio.getAttribute("src")).toBe(`/api/calls/${callId}/recording`);
    await page.getByRole("group", { name: "Recording" }).getByRole("link", { name: "Download recording" }).waitFor();
    await checkRecordingFollowsTranscript(page, spokenLines);
    const heard = await playAndWatchSpokenLine(page, spokenLines);
    // A line's end_ms includes up to 200 ms of the silence after the words (the VAD's padding), which
    // the call may end within.
    expect(heard.playedToMs).toBeGreaterThan(spokenLines[1].end_ms - 250);
    expect(heard.misplaced).toEqual([]);
    expect(heard.marked.length).toBeGreaterThanOrEqual(2); // the mark moved on from one line to the next
    await page.screenshot({ path: join(RESULTS, "replay-recording.png"), fullPage: true });

    // Exports: the transcript by its link, the captions and the log by their addresses.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /^Export as Text/ }).click()]);
    const text = readFileSync((await download.path())!, "utf8");
    expect(text).toContain(`Customer: ${CUSTOMER}`);
    expect(text.indexOf(CUSTOMER_LINE)).toBeGreaterThan(0);
    expect(text.indexOf(AGENT_LINE)).toBeGreaterThan(text.indexOf(CUSTOMER_LINE));
    expect(text).toMatch(/Customer: .*canoe/i);
    const hrefs = await page.getByRole("group", { name: "Export" }).getByRole("link").evaluateAll((links) => links.map((link) => link.getAttribute("href")!));
    expect(hrefs.map((href) => href.split("format=")[1])).toEqual(["json", "txt", "vtt", "srt"]);
    const vtt = await (await context.request.get(`${base}${hrefs[2]}`)).text();
    expect(vtt.startsWith("WEBVTT")).toBe(true);
    expect(vtt).toContain(AGENT_LINE);
    // The spoken line's cue is timed by the utterance, so it points into the recording.
    const cue = (ms: number) => new Date(ms).toISOString().slice(11, 23);
    expect(vtt).toContain(`${cue(spokenLines[0].start_ms)} --> ${cue(spokenLines[0].end_ms)}\n<v Customer>${spokenLines[0].text}`);
    const srt = await (await context.request.get(`${base}${hrefs[3]}`)).text();
    expect(srt).toMatch(/^1\r?\n\d\d:\d\d:\d\d,\d\d\d --> /);
    const exported = (await (await context.request.get(`${base}${hrefs[0]}`)).json()) as LoggedEvent[];
    expect(exported).toEqual(log);
    expect(exported.filter((event) => event.type === "chat").map((event) => event.text)).toEqual([CUSTOMER_LINE, AGENT_LINE]);
    await context.close();
  });

  it("shows agents the calls they took, and not the others'", async () => {
    const base = earshot.baseUrl;
    for (const [username, tookIt] of [["agent1", true], ["agent2", false]] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await loginAs(context, base, username, `${username}-demo-pass`);
      await page.waitForURL(`${base}/agent`);
      await Promise.all([
        page.waitForResponse((response) => response.url().includes("/api/history?")),
        page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History", exact: true }).click(),
      ]);
      await page.getByText("The calls you took.", { exact: false }).waitFor();
      await page.getByRole("status").filter({ hasText: "Loading calls" }).waitFor({ state: "detached" });
      const link = page.getByRole("link", { name: `Open the call with ${CUSTOMER}` });
      expect(await link.isVisible()).toBe(tookIt);
      expect(await page.getByLabel("Agent").count()).toBe(0); // no agent filter: their own calls only
      if (tookIt) {
        await link.click();
        await page.getByRole("heading", { name: CUSTOMER, level: 1 }).waitFor();
        await page.getByRole("button", { name: "Play", exact: true }).waitFor();
        // Agents hear their own calls; downloading and deleting recordings is for supervisors and admins.
        await page.getByText("The recording plays with the replay.").waitFor();
        expect(await page.getByRole("link", { name: "Download recording" }).count()).toBe(0);
        expect(await page.getByRole("button", { name: "Delete recording" }).count()).toBe(0);
      }
      await context.close();
    }
  });
});
