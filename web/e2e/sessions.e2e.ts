// Account changes reach an open browser at once: a disabled agent's console goes to the login page.
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

async function adminToken(base: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: "admin-demo-pass" }),
  });
  return ((await response.json()) as { token: string }).token;
}

describe("sessions in the browser", () => {
  it("sends a disabled agent's open console to the login page", async () => {
    const base = earshot.baseUrl;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const agent = await loginAs(context, base, "agent2", "agent2-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();

    const token = await adminToken(base);
    const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const users = (await (await fetch(`${base}/api/users`, { headers })).json()) as { id: number; username: string }[];
    const id = users.find((user) => user.username === "agent2")!.id;
    const response = await fetch(`${base}/api/users/${id}`, { method: "PATCH", headers, body: JSON.stringify({ is_active: false }) });
    expect(response.status).toBe(200);

    await agent.waitForURL(/\/login/);
    await agent.getByRole("heading", { name: "Staff login" }).waitFor();
    await agent.screenshot({ path: join(RESULTS, "disabled-agent-logged-out.png"), fullPage: true });
    // The cookie it still holds names a login that no longer exists.
    expect((await context.request.get(`${base}/api/auth/me`)).status()).toBe(401);
    await context.close();
  });
});
