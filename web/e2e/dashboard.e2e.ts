// A call made in the browser reaches the supervisor dashboard: its tiles, the agent board, and the CSV export.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { RESULTS, launchChromium, loginAs, startEarshot, type RunningEarshot } from "./server";

let earshot: RunningEarshot;
let browser: Browser;

beforeAll(async () => {
  earshot = await startEarshot({ EARSHOT_DEMO_HISTORY_DAYS: "10" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await earshot?.stop();
});

/** A call through the customer page and the agent console, answered and a line each way; returns both pages. */
async function startCall(base: string, customerName: string): Promise<{ agent: Page; customer: Page }> {
  const agent = await loginAs(await browser.newContext(), base, "agent1", "agent1-demo-pass");
  await agent.waitForURL(`${base}/agent`);
  await agent.getByRole("status").getByText("Connected").waitFor();
  await agent.getByRole("switch", { name: "Available for calls" }).click();
  await agent.getByText("Waiting for the next call").waitFor();

  const customer = await (await browser.newContext()).newPage();
  await customer.goto(`${base}/call`);
  await customer.getByLabel("Your name").fill(customerName);
  await customer.getByRole("button", { name: "Start call" }).click();
  await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
  await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();

  await customer.getByLabel("Message").fill("Where is my order? It has not arrived and I am really upset");
  await customer.getByRole("button", { name: "Send" }).click();
  await agent.getByRole("log").getByText("Where is my order?").waitFor();
  await agent.getByLabel("Message").fill("Let me track it for you");
  await agent.getByRole("button", { name: "Send" }).click();
  await customer.getByRole("log").getByText("Let me track it for you").waitFor();
  return { agent, customer };
}

/** The agent ends the call and files the wrap-up; both leave. */
async function finishCall({ agent, customer }: { agent: Page; customer: Page }): Promise<void> {
  await agent.getByRole("button", { name: "End call" }).click();
  await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
  await agent.getByLabel("Resolved", { exact: true }).check();
  await agent.getByRole("button", { name: "File wrap-up" }).click();
  await agent.getByText("Waiting for the next call").waitFor();
  await agent.context().close();
  await customer.context().close();
}

const tileValue = (page: Page, kpi: string) => page.locator(`.kpi-tile[data-kpi="${kpi}"] .kpi-value`);

describe("the supervisor dashboard", () => {
  it("shows a call live on the floor, then in its tiles and agent table without a reload, and exports it as CSV", async () => {
    const base = earshot.baseUrl;
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await loginAs(context, base, "supervisor", "supervisor-demo-pass");
    await page.waitForURL(`${base}/supervisor`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    const floor = page.getByRole("region", { name: "Live floor" });
    const now = floor.getByRole("table", { name: "Agents now" });
    await now.getByRole("row").filter({ hasText: "Alex Agent" }).filter({ hasText: "Offline" }).waitFor();
    await tileValue(page, "calls_handled").filter({ hasText: /^0$/ }).waitFor();
    // The history the demo wrote before today is there too, for any earlier period.
    await page.getByLabel("From").fill(new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10));
    await page.waitForURL(/from=/);
    await expect.poll(async () => Number((await tileValue(page, "calls_handled").textContent())?.replace(/,/g, "")), { timeout: 20_000 }).toBeGreaterThan(50);
    await page.goto(`${base}/dashboard`);
    await tileValue(page, "calls_handled").filter({ hasText: /^0$/ }).waitFor();

    // While the call goes on, the floor shows who is on it, with whom, and how the customer feels.
    const call = await startCall(base, "Dana Dashboard");
    const alex = now.getByRole("row").filter({ hasText: "Alex Agent" });
    await alex.filter({ hasText: "In call" }).filter({ hasText: "Dana Dashboard" }).waitFor();
    await alex.filter({ hasText: /negative|neutral|positive/ }).waitFor({ timeout: 20_000 });
    const watch = alex.getByRole("link", { name: "Watch Alex Agent's call" });
    expect(await watch.getAttribute("href")).toMatch(/^\/supervisor\?watch=[0-9a-f]{32}$/);
    const watcher = await context.newPage();
    await watcher.goto(`${base}${await watch.getAttribute("href")}`);
    await watcher.getByRole("log").getByText("Let me track it for you").waitFor();
    await watcher.close();
    await page.screenshot({ path: join(RESULTS, "dashboard-floor.png"), fullPage: true });

    // Once it is wrapped up, today's tiles and the agents table move by themselves: nothing is clicked.
    await finishCall(call);
    await tileValue(page, "calls_handled").filter({ hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    await tileValue(page, "resolution_rate").filter({ hasText: /^100 %$/ }).waitFor();
    const board = page.getByRole("region", { name: "Agents" });
    const row = board.getByRole("row").filter({ hasText: "Alex Agent" });
    await row.waitFor();
    await expect.poll(async () => row.getByRole("cell").first().textContent(), { timeout: 15_000 }).toBe("1"); // calls handled
    // Definitions are tooltips on the tiles.
    await page.getByRole("region", { name: "Key figures" }).getByRole("button", { name: "What is Calls handled?" }).focus();
    await page.getByRole("tooltip").filter({ hasText: /Calls an agent answered/ }).first().waitFor({ state: "visible" });
    await page.screenshot({ path: join(RESULTS, "dashboard.png"), fullPage: true });
    await page.screenshot({ path: "/tmp/earshot-dashboard-1440.png", fullPage: true });

    // The agents table as CSV, by the link on the page, with the page's filters.
    const link = page.getByRole("link", { name: "Download the agents table as CSV" });
    const href = await link.getAttribute("href");
    expect(href).toMatch(/^\/api\/metrics\/export\/agents\.csv\?from=\d{4}-\d{2}-\d{2}&to=/);
    const response = await context.request.get(`${base}${href}`);
    expect(response.status()).toBe(200);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const csv = readFileSync((await download.path())!, "utf8");
    const [header, ...lines] = csv.trim().split(/\r?\n/);
    expect(header.split(",").slice(0, 3)).toEqual(["agent_id", "agent_name", "calls_handled"]);
    expect(lines.some((line) => line.includes("Alex Agent") && line.split(",")[2] === "1")).toBe(true);

    // The filters narrow what is shown: no phone calls were made today.
    await page.getByLabel("Channel").selectOption("phone");
    await page.waitForURL(/channel=phone/);
    await tileValue(page, "calls_handled").filter({ hasText: /^0$/ }).waitFor();
    await page.getByLabel("Channel").selectOption("web");
    await tileValue(page, "calls_handled").filter({ hasText: /^1$/ }).waitFor();
    await context.close();
  });
});
