// Every page of the web app, in every state a user meets it, run through axe in Chromium (light and
// dark): a serious or critical finding fails the test, listed with the page and the elements.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { loginAs, withEarshotAndChromium } from "./server";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const running = withEarshotAndChromium();

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[];
}

const findings: string[] = [];

/** Runs axe on the page as it is now, in both colour schemes; serious and critical findings are kept. */
async function audit(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE_SOURCE });
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const result = (await page.evaluate(() =>
      (window as unknown as { axe: { run: (context: Document, options: object) => Promise<unknown> } }).axe.run(document, {
        resultTypes: ["violations"],
      }),
    )) as AxeResult;
    for (const violation of result.violations) {
      if (violation.impact !== "serious" && violation.impact !== "critical") continue;
      const nodes = violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`).join("\n      ");
      findings.push(`${where} (${colorScheme}): ${violation.impact} ${violation.id}: ${violation.help}\n      ${nodes}`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
}

describe("accessibility", () => {
  it("no page has a serious or critical axe finding", async () => {
    const { browser, earshot } = running;
    const base = earshot.baseUrl;
    const viewport = { width: 1440, height: 900 };

    const login = await (await browser.newContext({ viewport })).newPage();
    await login.goto(`${base}/login`);
    await login.getByRole("button", { name: "Log in" }).waitFor();
    await audit(login, "login");

    const agent = await loginAs(await browser.newContext({ viewport }), base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();
    await agent.getByText("You are not available").waitFor();
    await audit(agent, "agent console, unavailable");
    await agent.getByRole("switch", { name: "Available for calls" }).click();
    await agent.getByText("Waiting for the next call").waitFor();
    await audit(agent, "agent console, idle");

    const customer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").waitFor();
    await audit(customer, "customer page, start");
    await customer.getByLabel("Your name").fill("Ada Access");
    await customer.getByRole("button", { name: "Start call" }).click();

    await agent.getByRole("alertdialog").getByRole("heading", { name: "Ada Access" }).waitFor();
    await audit(agent, "agent console, ringing");
    await audit(customer, "customer page, waiting");
    await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();

    const line = "My order 20417 has not arrived and I would like a refund";
    await customer.getByLabel("Message").fill(line);
    await customer.getByRole("button", { name: "Send" }).click();
    await agent.getByRole("log").getByText(line).waitFor();
    await agent.getByRole("region").filter({ hasText: "Suggested next step" }).getByRole("heading").first().waitFor({ timeout: 15_000 });
    await audit(agent, "agent console, in a call");
    await audit(customer, "customer page, in a call");

    const supervisor = await loginAs(await browser.newContext({ viewport }), base, "admin", "admin-demo-pass");
    await supervisor.waitForURL((url) => !url.pathname.startsWith("/login"));
    await supervisor.goto(`${base}/supervisor`);
    await supervisor.getByRole("row").filter({ hasText: "Ada Access" }).click();
    await supervisor.getByRole("log").getByText(line).waitFor();
    await audit(supervisor, "supervisor, watching a call");

    await agent.getByRole("button", { name: "End call" }).click();
    await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
    await customer.getByRole("heading", { name: "Call ended" }).waitFor();
    await audit(agent, "agent console, wrap-up");
    await audit(customer, "customer page, ended");
    await agent.getByLabel("Resolved", { exact: true }).check();
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await agent.getByText("Waiting for the next call").waitFor();

    await supervisor.goto(`${base}/dashboard`);
    await supervisor.getByRole("heading", { level: 1 }).waitFor();
    await supervisor.locator(".chart-canvas").first().waitFor();
    await audit(supervisor, "dashboard");

    await supervisor.goto(`${base}/history`);
    const open = supervisor.getByRole("link", { name: "Open the call with Ada Access" });
    await open.waitFor();
    await audit(supervisor, "history");
    await open.click();
    await supervisor.getByRole("button", { name: /Play/ }).first().waitFor();
    await audit(supervisor, "replay");

    await supervisor.goto(`${base}/admin/users`);
    await supervisor.getByRole("table").waitFor();
    await audit(supervisor, "admin users");

    expect(findings, findings.join("\n")).toEqual([]);
  });
});
