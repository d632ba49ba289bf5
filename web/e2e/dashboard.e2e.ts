// A call made in the browser reaches the supervisor dashboard: its tiles, the agent board, and the CSV export.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
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

/** One whole call through the customer page and the agent console: answered, a line each way, ended, wrapped up. */
async function makeCall(base: string, customerName: string): Promise<void> {
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

  await customer.getByLabel("Message").fill("Where is my order? It has not arrived");
  await customer.getByRole("button", { name: "Send" }).click();
  await agent.getByRole("log").getByText("Where is my order?").waitFor();
  await agent.getByLabel("Message").fill("Let me track it for you");
  await agent.getByRole("button", { name: "Send" }).click();
  await customer.getByRole("log").getByText("Let me track it for you").waitFor();

  await agent.getByRole("button", { name: "End call" }).click();
  await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
  await agent.getByLabel("Resolved", { exact: true }).check();
  await agent.getByRole("button", { name: "File wrap-up" }).click();
  await agent.getByText("Waiting for the next call").waitFor();
  await agent.context().close();
  await customer.context().close();
}

/** The "Calls handled" tile as a number, refreshing until it reaches `atLeast` or the deadline passes. */
async function callsHandled(page: Page, atLeast: number): Promise<number> {
  const tile = page.locator('.kpi-tile[data-kpi="calls_handled"] .kpi-value');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = Number((await tile.textContent())?.replace(/,/g, ""));
    if (value >= atLeast || Date.now() > deadline) return value;
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.waitForTimeout(500);
  }
}

describe("the supervisor dashboard", () => {
  it("shows a call just made in its tiles and on the agent board, and exports it as CSV", async () => {
    const base = earshot.baseUrl;
    await makeCall(base, "Dana Dashboard");

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await loginAs(context, base, "supervisor", "supervisor-demo-pass");
    await page.waitForURL(`${base}/supervisor`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();

    expect(await callsHandled(page, 1)).toBeGreaterThanOrEqual(1);
    const board = page.getByRole("region", { name: "Agents" });
    const row = board.getByRole("row").filter({ hasText: "Alex Agent" });
    await row.waitFor();
    expect(await row.getByRole("cell").first().textContent()).toBe("1"); // calls handled, the first KPI column
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
    expect(lines.some((line) => line.includes("Alex Agent"))).toBe(true);

    // The filters narrow what is shown: no phone calls were made.
    await page.getByLabel("Channel").selectOption("phone");
    await page.waitForURL(/channel=phone/);
    await page.locator('.kpi-tile[data-kpi="calls_handled"] .kpi-value', { hasText: /^0$/ }).waitFor();
    await page.getByRole("region", { name: "Agents" }).getByText("No agent worked in this period.").or(board.getByRole("row")).first().waitFor();
    await page.getByLabel("Channel").selectOption("web");
    expect(await callsHandled(page, 1)).toBeGreaterThanOrEqual(1);
    await context.close();
  });
});
