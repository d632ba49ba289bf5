// A customer and an agent in two browser contexts are matched and chat; a supervisor watches.
import { join } from "node:path";
import { expect as vitestExpect, afterAll, beforeAll, describe, it } from "vitest";
import type { Browser } from "playwright-core";
import { RESULTS, launchChromium, loginAs, startEarshot, type RunningEarshot } from "./server";

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

describe("a call in the browser", () => {
  it("matches customer and agent, who chat while a supervisor watches, then wraps up", async () => {
    const base = earshot.baseUrl;
    const agentContext = await browser.newContext();
    const agent = await loginAs(agentContext, base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByText("Connected").waitFor();
    await agent.getByLabel("Available for calls").click(); // confirmed by the server, not toggled locally
    await agent.getByText("Waiting for the next call").waitFor();
    await agent.screenshot({ path: join(RESULTS, "agent-available.png"), fullPage: true });

    const customerContext = await browser.newContext();
    const customer = await customerContext.newPage();
    await customer.goto(`${base}/call`);
    await customer.screenshot({ path: join(RESULTS, "customer-start.png"), fullPage: true });
    await customer.getByLabel("Your name").fill("Jane Doe");
    await customer.getByLabel(/Email/).fill("jane.doe@example.com");
    await customer.getByRole("button", { name: "Start call" }).click();
    await customer.getByText("Waiting for an agent").waitFor();

    await agent.getByRole("heading", { name: "Jane Doe" }).waitFor();
    await agent.screenshot({ path: join(RESULTS, "agent-ringing.png"), fullPage: true });
    await agent.getByRole("button", { name: "Accept" }).click();
    await customer.getByText("Connected with Alex Agent").waitFor();

    await customer.getByLabel("Message").fill("Hi, my headphones stopped working");
    await customer.getByRole("button", { name: "Send" }).click();
    await agent.getByRole("log").getByText("Hi, my headphones stopped working").waitFor();
    await agent.getByLabel("Message").fill("Sorry to hear that, let me check your order");
    await agent.getByRole("button", { name: "Send" }).click();
    await customer.getByRole("log").getByText("Sorry to hear that, let me check your order").waitFor();
    await customer.screenshot({ path: join(RESULTS, "customer-in-call.png"), fullPage: true });

    const supervisorContext = await browser.newContext();
    const supervisor = await loginAs(supervisorContext, base, "supervisor", "supervisor-demo-pass");
    await supervisor.waitForURL(`${base}/supervisor`);
    await supervisor.getByRole("button", { name: "Watch the call with Jane Doe" }).click();
    const watched = supervisor.getByRole("log");
    await watched.getByText("Hi, my headphones stopped working").waitFor();
    await watched.getByText("Sorry to hear that, let me check your order").waitFor();
    await supervisor.screenshot({ path: join(RESULTS, "supervisor-watching.png"), fullPage: true });
    vitestExpect(await supervisor.getByLabel("Message").count()).toBe(0); // read-only

    await agent.screenshot({ path: join(RESULTS, "agent-in-call.png"), fullPage: true });
    await agent.getByRole("button", { name: "End call" }).click();
    await customer.getByRole("heading", { name: "Call ended" }).waitFor();
    await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
    await agent.getByLabel("Resolved", { exact: true }).check();
    await agent.getByLabel("Notes").fill("Replacement offered");
    await agent.screenshot({ path: join(RESULTS, "agent-wrap-up.png"), fullPage: true });
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await agent.getByText("Waiting for the next call").waitFor();

    const calls = await supervisor.evaluate(async () => (await fetch("/api/calls?status=ended")).json());
    vitestExpect(calls[0].disposition).toBe("resolved");
    vitestExpect(calls[0].notes).toBe("Replacement offered");
  });
});
