// Agent states beyond on/off: away with a reason (no call rings), back to available (the call rings),
// and during a call the switch is off as the badge says; a hold shows on the customer's page; wrap-up shows how long it has taken. The
// waiting customer is told their place, an estimated wait once there is one, and that the call is transcribed.
import { describe, expect, it } from "vitest";
import { availableAgent, withEarshotAndChromium } from "./server";

const running = withEarshotAndChromium();

describe("agent states", () => {
  it("steps away with a reason, takes calls again, and the switch agrees with the badge throughout", async () => {
    const { browser, earshot } = running;
    const base = earshot.baseUrl;
    const agent = await availableAgent(browser, base);
    const toggle = agent.getByRole("switch", { name: "Available for calls" });
    const badge = agent.locator(".app-header").getByRole("status").last();

    // Lunch: the badge says so, the switch is off, and a caller waits instead of ringing here.
    await agent.getByLabel("Away reason").selectOption("lunch");
    await badge.getByText("At lunch").waitFor();
    expect(await toggle.isChecked()).toBe(false);
    const customer = await (await browser.newContext()).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Wendy Waiting");
    await customer.getByRole("button", { name: "Start call" }).click();
    await customer.getByRole("heading", { name: "Waiting for an agent" }).waitFor();
    await customer.getByRole("note").getByText(/This call is transcribed/).waitFor();
    await customer.getByText("You are next in line.").waitFor();
    expect(await customer.getByText(/Estimated wait|in a moment/).count()).toBe(0); // nobody on duty: no promise
    await agent.waitForTimeout(1000);
    expect(await agent.getByRole("alertdialog").count()).toBe(0);

    // Back: the reason goes, and the waiting caller rings.
    await toggle.click();
    await agent.getByRole("alertdialog").getByRole("heading", { name: "Wendy Waiting" }).waitFor();
    expect(await agent.getByLabel("Away reason").inputValue()).toBe("");

    // In a call the switch is off and locked, as the badge says "In a call".
    await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
    await badge.getByText("In a call").waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect(await toggle.isDisabled()).toBe(true);

    // Hold: the customer's page says so until the agent resumes; the conversation keeps the hold's length.
    await agent.getByRole("button", { name: "Hold", exact: true }).click();
    await customer.getByRole("heading", { name: "On hold with Alex Agent" }).waitFor();
    await agent.getByText(/On hold for .*the customer does not hear you/).waitFor();
    await agent.getByRole("button", { name: "Resume", exact: true }).click();
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();
    await customer.getByRole("log").getByText(/Back from hold after \d+ s/).waitFor();
    await agent.getByRole("log").getByText(/Back from hold after \d+ s/).waitFor();

    // Wrap-up: its clock runs in the header until the wrap-up is filed.
    await agent.getByRole("button", { name: "End call" }).click();
    await badge.getByText("Wrap-up").waitFor();
    const clock = agent.locator(".app-header .timer time");
    await clock.waitFor();
    const first = await clock.getAttribute("datetime");
    await agent.waitForFunction((before) => document.querySelector(".app-header .timer time")?.getAttribute("datetime") !== before, first);
    expect(await toggle.isChecked()).toBe(false);
    await agent.getByLabel("Resolved", { exact: true }).check();
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await badge.getByText("Available").waitFor();
    expect(await toggle.isChecked()).toBe(true);
    expect(await clock.count()).toBe(0);

    // With one call answered (its length known) and the agent busy with the next, a new caller gets an estimate.
    const second = await (await browser.newContext()).newPage();
    await second.goto(`${base}/call`);
    await second.getByLabel("Your name").fill("Sam Second");
    await second.getByRole("button", { name: "Start call" }).click();
    await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
    await badge.getByText("In a call").waitFor();
    const third = await (await browser.newContext()).newPage();
    await third.goto(`${base}/call`);
    await third.getByLabel("Your name").fill("Tia Third");
    await third.getByRole("button", { name: "Start call" }).click();
    await third.getByText(/You are next in line\. (An agent should answer in a moment\.|Estimated wait: )/).waitFor();
  });
});
