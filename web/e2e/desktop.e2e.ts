// The agent desktop by keyboard: accept (A), shortcut help (?), use the suggestion (U) into the
// message box, mute (M), end (E); lines carry their time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium, loginAs, startEarshot, type RunningEarshot } from "./server";

let earshot: RunningEarshot;
let browser: Browser;

beforeAll(async () => {
  earshot = await startEarshot();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await earshot?.stop();
});

const ASSIST_TIMEOUT = 15_000;

/** Shortcuts are ignored while typing: leave the text field first. */
async function leaveFields(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

describe("agent desktop", () => {
  it("takes, works and ends a call from the keyboard, and a used suggestion lands in the message box", async () => {
    const base = earshot.baseUrl;
    const agentContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Counts the ring's tones as the page starts them (the sound itself is not observable headless).
    await agentContext.addInitScript(() => {
      const start = OscillatorNode.prototype.start;
      const counter = window as unknown as { ringTones: number };
      counter.ringTones = 0;
      OscillatorNode.prototype.start = function (...args: Parameters<OscillatorNode["start"]>) {
        counter.ringTones += 1;
        return start.apply(this, args);
      };
    });
    const agent = await loginAs(agentContext, base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();
    await agent.getByRole("switch", { name: "Available for calls" }).click();
    await agent.getByText("Waiting for the next call").waitFor();

    // "?" shows the shortcuts; Escape hides them.
    await leaveFields(agent);
    await agent.keyboard.press("?");
    const help = agent.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    expect(await help.textContent()).toContain("Use the suggestion");
    await agent.keyboard.press("Escape");
    await help.waitFor({ state: "detached" });

    const customer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Oliver Bennett");
    await customer.getByLabel(/Email/).fill("oliver.bennett@example.net");
    await customer.getByRole("button", { name: "Start call" }).click();

    // The offer rings until the agent mutes the ring.
    const offer = agent.getByRole("alertdialog");
    await offer.getByRole("heading", { name: "Oliver Bennett" }).waitFor();
    const tones = () => agent.evaluate(() => (window as unknown as { ringTones: number }).ringTones);
    await agent.waitForFunction(() => (window as unknown as { ringTones: number }).ringTones >= 2);
    await offer.getByRole("button", { name: "Mute ring" }).click();
    expect(await offer.getByRole("button", { name: "Ring muted" }).getAttribute("aria-pressed")).toBe("true");
    const afterMute = await tones();
    await agent.waitForTimeout(3500); // longer than the ring's period
    expect(await tones()).toBe(afterMute);

    // A accepts the ringing call.
    await leaveFields(agent);
    await agent.keyboard.press("a");
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();

    const complaint = "My order 20417 was due weeks ago and it still hasn't arrived. Where is it?";
    await customer.getByLabel("Message").fill(complaint);
    await customer.getByRole("button", { name: "Send" }).click();
    const line = agent.getByRole("log").getByRole("listitem").filter({ hasText: complaint });
    await line.waitFor();
    expect(await line.locator("time").textContent()).toMatch(/^\d+:\d\d$/);

    // U uses the suggestion: marked used, and its words are in the message box to edit and send.
    const card = agent.getByRole("region").filter({ hasText: "Suggested next step" });
    const heading = card.getByRole("heading", { name: /20417/ });
    await heading.waitFor({ timeout: ASSIST_TIMEOUT });
    const suggestion = ((await heading.textContent()) ?? "").trim();
    await leaveFields(agent);
    await agent.keyboard.press("u");
    await card.getByText("Used", { exact: true }).waitFor();
    const message = agent.getByLabel("Message");
    expect(await message.inputValue()).toBe(suggestion);
    await message.press("End");
    await message.pressSequentially(" Thanks for waiting.");
    await agent.getByRole("button", { name: "Send" }).click();
    await customer.getByRole("log").getByText(`${suggestion} Thanks for waiting.`).waitFor();

    // A supervisor watching the call sees the suggestion and what the agent did with it, read-only.
    const supervisor = await loginAs(await browser.newContext({ viewport: { width: 1440, height: 900 } }), base, "supervisor", "supervisor-demo-pass");
    await supervisor.waitForURL(`${base}/supervisor`);
    await supervisor.getByRole("row").filter({ hasText: "Oliver Bennett" }).click();
    const watchedCard = supervisor.getByRole("region", { name: suggestion }); // the card is named by its suggestion
    await watchedCard.waitFor();
    await watchedCard.getByText("Used", { exact: true }).waitFor();
    expect(await watchedCard.getByRole("button").count()).toBe(0);

    // M mutes and unmutes.
    await leaveFields(agent);
    await agent.keyboard.press("m");
    await agent.getByRole("button", { name: "Unmute" }).waitFor();
    expect(await agent.getByRole("button", { name: "Unmute" }).getAttribute("aria-pressed")).toBe("true");
    await agent.keyboard.press("m");
    await agent.getByRole("button", { name: "Mute", exact: true }).waitFor();

    // Typing an "e" in the message box is text, not "end the call".
    await message.fill("e");
    await message.press("e");
    expect(await message.inputValue()).toBe("ee");
    expect(await agent.getByText("Call ended").count()).toBe(0);

    // E ends the call.
    await leaveFields(agent);
    await agent.keyboard.press("e");
    await agent.getByText("Call ended").waitFor();
  });
});
