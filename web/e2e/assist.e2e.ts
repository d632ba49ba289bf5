// The agent sees who is calling, how they feel and what to do next; the customer sees none of it.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

// Suggestions and sentiment follow a customer message within about two seconds.
const ASSIST_TIMEOUT = 15_000;

describe("live assist in the browser", () => {
  it("gives the agent the caller's record, sentiment and a suggestion that the customer never sees", async () => {
    const base = earshot.baseUrl;

    // (1) The agent becomes available; Oliver Bennett starts a call with his email and is accepted.
    const agent = await loginAs(await browser.newContext({ viewport: { width: 1280, height: 900 } }), base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();
    await agent.getByRole("switch", { name: "Available for calls" }).click();
    await agent.getByText("Waiting for the next call").waitFor();

    const customer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const customerReceived: string[] = []; // the type of every WebSocket message the customer's page gets
    customer.on("websocket", (socket) =>
      socket.on("framereceived", ({ payload }) => customerReceived.push(String(JSON.parse(String(payload)).type))),
    );
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Oliver Bennett");
    await customer.getByLabel(/Email/).fill("oliver.bennett@example.net");
    await customer.getByRole("button", { name: "Start call" }).click();

    const offer = agent.getByRole("alertdialog");
    await offer.getByRole("heading", { name: "Oliver Bennett" }).waitFor();
    await offer.getByRole("button", { name: "Accept" }).click();
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();

    // (2) The caller is resolved to his customer record.
    const record = agent.getByRole("region", { name: "Customer", exact: true });
    await record.getByText(/^Oliver Bennett\s/).waitFor({ timeout: ASSIST_TIMEOUT }); // the name, then its status badge
    await record.getByText(/^(vip|active)$/).waitFor();
    await record.getByRole("listitem").filter({ hasText: "#20417" }).waitFor();

    // (3) The customer complains in the chat.
    const complaint = "This is ridiculous, my order 20417 was due weeks ago and it still hasn't arrived. I'm furious.";
    await customer.getByLabel("Message").fill(complaint);
    await customer.getByRole("button", { name: "Send" }).click();
    await customer.getByRole("log").getByText(complaint).waitFor();

    // (4) The agent gets a suggestion to track order 20417, an alert, and the line's sentiment.
    const card = agent.getByRole("region").filter({ hasText: "Suggested next step" });
    await card.getByText("Track the order", { exact: true }).waitFor({ timeout: ASSIST_TIMEOUT });
    const suggestionSeenAt = Date.now();
    const suggestion = card.getByRole("heading", { name: /20417/ });
    await suggestion.waitFor();
    const suggestionText = (await suggestion.textContent()) ?? "";
    await agent.getByRole("alert").filter({ hasText: "Sentiment alert" }).waitFor({ timeout: ASSIST_TIMEOUT });
    const line = agent.getByRole("log").getByRole("listitem").filter({ hasText: complaint });
    await line.getByLabel("Sentiment: negative").waitFor({ timeout: ASSIST_TIMEOUT });
    await agent.getByRole("region", { name: "Customer sentiment" }).getByRole("img", { name: /^Sentiment trend -?\d/ }).waitFor();

    // (5) The agent uses the suggestion.
    await card.getByRole("button", { name: "Use it" }).click();
    await card.getByText("Used", { exact: true }).waitFor();
    expect(await card.getByRole("button", { name: "Use it" }).count()).toBe(0);

    // (6) The customer sees their message and nothing of the assist, even after it had time to arrive.
    await customer.waitForTimeout(Math.max(0, suggestionSeenAt + 1500 - Date.now()));
    await customer.getByRole("log").getByText(complaint).waitFor();
    // textContent, not innerText: hidden text counts too, and CSS upper-casing does not hide a match.
    const customerText = ((await customer.locator("body").textContent()) ?? "").toLowerCase();
    for (const hidden of ["Track the order", "Suggested next step", "Sentiment", "Use it", "Confidence", suggestionText]) {
      expect(customerText).not.toContain(hidden.toLowerCase());
    }
    expect(await customer.getByRole("alert").count()).toBe(0);
    expect(customerReceived).toContain("chat");
    for (const staffOnly of ["customer_context", "sentiment", "sentiment_alert", "suggestion", "suggestion_feedback"]) {
      expect(customerReceived).not.toContain(staffOnly);
    }

    // (7) The agent looks up the refund policy in the knowledge base.
    const knowledge = agent.getByRole("region", { name: "Knowledge base" });
    await knowledge.getByLabel("Search articles").fill("refund window");
    await knowledge.getByRole("button", { name: "Search" }).click();
    await knowledge.getByText("Refunds", { exact: true }).waitFor();

    await agent.screenshot({ path: join(RESULTS, "assist-agent-console.png"), fullPage: true });
  });
});
