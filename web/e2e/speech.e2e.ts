// The customer's microphone (a WAV file as Chromium's fake capture device) becomes text in the agent's console.
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Browser } from "playwright-core";
import { CALLS_AUDIO, RESULTS, fakeMicrophone, launchChromium, loginAs, startEarshot, waitForTranscription, type RunningEarshot } from "./server";

const SPEECH = join(CALLS_AUDIO, "d02-where-is-order", "03-customer.wav");

let earshot: RunningEarshot;
let customerBrowser: Browser;
let agentBrowser: Browser;

beforeAll(async () => {
  earshot = await startEarshot();
  customerBrowser = await launchChromium(fakeMicrophone(process.env.EARSHOT_E2E_SPEECH ?? SPEECH));
  agentBrowser = await launchChromium();
});

afterAll(async () => {
  await customerBrowser?.close();
  await agentBrowser?.close();
  await earshot?.stop();
});

describe("live speech in the browser", () => {
  it("shows the customer's spoken words in the agent's console", async () => {
    const base = earshot.baseUrl;
    const agent = await loginAs(await agentBrowser.newContext(), base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await waitForTranscription(base);
    await agent.getByLabel("Available for calls").click();
    await agent.getByText("Waiting for the next call").waitFor();

    const customer = await (await customerBrowser.newContext()).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Oliver Bennett");
    await customer.getByRole("button", { name: "Start call" }).click();
    await agent.getByRole("button", { name: "Accept" }).click();
    await customer.getByText("Connected with Alex Agent").waitFor();
    await customer.getByRole("meter", { name: "Microphone level" }).waitFor();

    const spoken = agent.getByRole("log").locator('[data-kind="transcript"]').filter({ hasText: /where it is/i });
    await spoken.first().waitFor({ timeout: 60_000 });
    await agent.screenshot({ path: join(RESULTS, "agent-live-transcript.png"), fullPage: true });
    await customer.screenshot({ path: join(RESULTS, "customer-speaking.png"), fullPage: true });
  });
});
