// With both microphones live (WAV files as Chromium's fake capture devices), chat goes both ways,
// Mute, End call and the wrap-up all work, and no error is shown to either party.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { CALLS_AUDIO, RESULTS, fakeMicrophone, launchChromium, loginAs, startEarshot, waitForTranscription, type RunningEarshot } from "./server";

const CUSTOMER_SPEECH = join(CALLS_AUDIO, "d01-refund-headphones", "02-customer.wav");
const AGENT_SPEECH = join(CALLS_AUDIO, "d01-refund-headphones", "03-agent.wav");

let earshot: RunningEarshot;
let customerBrowser: Browser;
let agentBrowser: Browser;

beforeAll(async () => {
  earshot = await startEarshot();
  customerBrowser = await launchChromium(fakeMicrophone(CUSTOMER_SPEECH));
  agentBrowser = await launchChromium(fakeMicrophone(AGENT_SPEECH));
});

afterAll(async () => {
  await customerBrowser?.close();
  await agentBrowser?.close();
  await earshot?.stop();
});

async function chat(from: Page, to: Page, text: string): Promise<void> {
  const input = from.getByLabel("Message");
  await input.fill(text);
  await from.getByRole("button", { name: "Send" }).click();
  await to.getByRole("log").getByText(text).waitFor();
  await from.getByRole("log").getByText(text).waitFor();
  await expect.poll(() => input.inputValue()).toBe(""); // cleared only once the server took it
}

async function noErrorsShown(...pages: Page[]): Promise<void> {
  for (const page of pages) {
    const shown = await page.locator(".error-list li").allTextContents();
    expect(shown, page.url()).toEqual([]);
    expect(await page.getByText(/^Not sent/).count(), page.url()).toBe(0);
  }
}

describe("live microphones in the browser", () => {
  it("leave chat, mute, End call and wrap-up working for both parties", async () => {
    const base = earshot.baseUrl;
    const agent = await loginAs(await agentBrowser.newContext(), base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await waitForTranscription(base);
    await agent.getByLabel("Available for calls").click();
    await agent.getByText("Waiting for the next call").waitFor();

    const customer = await (await customerBrowser.newContext()).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Emily Carter");
    await customer.getByRole("button", { name: "Start call" }).click();
    await agent.getByRole("button", { name: "Accept" }).click();
    await customer.getByText("Connected with Alex Agent").waitFor();
    const customerMeter = customer.getByRole("meter", { name: "Microphone level" });
    await customerMeter.waitFor();
    await agent.getByRole("meter", { name: "Microphone level" }).waitFor();

    // Both microphones stream 50 frames a second; the old shared limit refused everything after a second.
    await expect.poll(async () => Number(await customerMeter.getAttribute("aria-valuenow")), { timeout: 10_000 }).toBeGreaterThan(0);
    await customer.waitForTimeout(2500);
    await agent.getByRole("log").locator('[data-kind="transcript"]').first().waitFor({ timeout: 60_000 });

    await chat(customer, agent, "Hi, my left ear stopped working");
    await chat(agent, customer, "Sorry to hear that, let me look at the order");
    await chat(customer, agent, "It was the wireless headphones");
    await chat(agent, customer, "I have sent you a refund");

    await customer.getByRole("button", { name: "Mute" }).click();
    await customer.getByRole("button", { name: "Unmute" }).click();
    await customer.getByRole("button", { name: "Mute" }).waitFor();
    await chat(customer, agent, "Thank you!");
    await noErrorsShown(customer, agent);
    await customer.screenshot({ path: join(RESULTS, "customer-talking-and-chatting.png"), fullPage: true });
    await agent.screenshot({ path: join(RESULTS, "agent-talking-and-chatting.png"), fullPage: true });

    // The agent hangs up while both are talking, then files the wrap-up at once.
    await agent.getByRole("button", { name: "End call" }).click();
    await customer.getByRole("heading", { name: "Call ended" }).waitFor();
    await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
    await agent.getByLabel("Resolved", { exact: true }).check();
    await agent.getByLabel("Notes").fill("Refund sent");
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await agent.getByText("Waiting for the next call").waitFor();
    await customer.waitForTimeout(500); // anything the server still had to say arrives
    await noErrorsShown(customer, agent);
  });
});
