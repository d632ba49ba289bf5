// The agent desktop's layout during a call: at 1440x900 the customer record is in view beside the
// conversation and the suggestion; at 1024 px nothing overflows sideways and the customer search's
// placeholder fits its field; lines carry their time, the marks are explained, the trend chart has
// axes, and earlier suggestions stay listed for the agent and the supervisor.
import { describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { availableAgent, loginAs, withEarshotAndChromium } from "./server";

const running = withEarshotAndChromium();

/** Whether the element's box lies wholly inside the viewport, without scrolling. */
async function inView(page: Page, locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const viewport = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
}

/** How many px the page is wider than its window (0: no sideways scroll), and which elements stick out. */
async function overflow(page: Page): Promise<{ excess: number; culprits: string[] }> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const sticksOut = (element: Element) => element.getBoundingClientRect().right > root.clientWidth + 1;
    // The innermost elements that stick out: their parents only stick out because of them.
    const culprits = [...document.querySelectorAll<HTMLElement>("body *")]
      .filter((element) => sticksOut(element) && ![...element.children].some(sticksOut))
      .slice(0, 5)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`);
    return { excess: root.scrollWidth - root.clientWidth, culprits };
  });
}

/** Whether the field's placeholder, in the field's own font, fits inside its text box. */
async function placeholderFits(field: Locator): Promise<string | true> {
  return field.evaluate((input: HTMLInputElement) => {
    const style = getComputedStyle(input);
    const context = document.createElement("canvas").getContext("2d")!;
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const needed = context.measureText(input.placeholder).width;
    return needed <= room || `"${input.placeholder}" needs ${Math.ceil(needed)} px, has ${Math.floor(room)} px`;
  });
}

async function say(customer: Page, agent: Page, text: string): Promise<void> {
  await customer.getByLabel("Message").fill(text);
  await customer.getByRole("button", { name: "Send" }).click();
  await agent.getByRole("log").getByText(text).waitFor();
}

describe("agent desktop layout", () => {
  it("keeps the caller's record in view at 1440x900 and fits 1024 px", async () => {
    const { browser, earshot } = running;
    const base = earshot.baseUrl;
    const agent = await availableAgent(browser, base);

    const customer = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage();
    const customerScripts: string[] = [];
    customer.on("response", (response) => {
      if (response.request().resourceType() === "script") customerScripts.push(`${new URL(response.url()).pathname} ${response.headers()["content-encoding"] ?? "identity"}`);
    });
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Oliver Bennett");
    await customer.getByLabel(/Email/).fill("oliver.bennett@example.net");
    await customer.getByRole("button", { name: "Start call" }).click();
    await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();
    // The customer's page loads none of the staff pages' code, and gets its scripts compressed.
    expect(customerScripts.length).toBeGreaterThan(0);
    expect(customerScripts.filter((script) => /(Agent|Supervisor|Dashboard|History|Replay|AdminUsers|Login)Page/.test(script))).toEqual([]);
    expect(customerScripts.filter((script) => script.includes("/assets/index-"))[0]).toMatch(/ br$/);

    const suggestions = agent.getByRole("region").filter({ hasText: "Suggested next step" });
    await say(customer, agent, "My order 20417 was due weeks ago and it still hasn't arrived. Where is it?");
    const first = suggestions.getByRole("heading", { name: /20417/ });
    await first.waitFor({ timeout: 15_000 });
    const firstText = ((await first.textContent()) ?? "").trim();
    await say(customer, agent, "I forgot my password and cannot log in to my account.");
    await suggestions.getByRole("heading").filter({ hasNotText: firstText }).first().waitFor({ timeout: 15_000 });

    // In view together: the caller's record, the suggestion, and the conversation's latest line.
    const record = agent.getByRole("region", { name: "Customer", exact: true });
    const name = record.getByText("Oliver Bennett", { exact: false }).first();
    await name.waitFor();
    expect(await inView(agent, record.getByRole("heading", { name: "Customer", exact: true }))).toBe(true);
    expect(await inView(agent, name)).toBe(true);
    expect(await inView(agent, record.getByRole("heading", { name: "Recent orders" }))).toBe(true);
    expect(await inView(agent, suggestions.getByRole("heading").first())).toBe(true);

    // The earlier suggestion stays listed, for the agent and for a supervisor watching.
    const earlier = suggestions.getByRole("list").filter({ has: agent.getByText(firstText) });
    expect(await earlier.count()).toBe(1);
    const supervisor = await loginAs(await browser.newContext({ viewport: { width: 1024, height: 768 } }), base, "supervisor", "supervisor-demo-pass");
    await supervisor.waitForURL(`${base}/supervisor`);
    await supervisor.getByRole("row").filter({ hasText: "Oliver Bennett" }).click();
    await supervisor.getByRole("heading", { name: "Earlier suggestions" }).waitFor();
    await supervisor.getByText(firstText).waitFor();

    // Every line carries its time; spoken vs typed and the sentiment marks are explained; the chart has axes.
    const lines = agent.getByRole("log").getByRole("listitem").filter({ has: agent.locator("time") });
    expect(await lines.count()).toBeGreaterThanOrEqual(2);
    const key = agent.getByRole("list", { name: "How to read the conversation" });
    expect(await key.textContent()).toMatch(/said.*spoken/i);
    expect(await key.textContent()).toMatch(/typed/i);
    expect(await key.textContent()).toMatch(/negative/);
    const chart = agent.getByRole("img", { name: /Sentiment trend/ });
    expect(await chart.textContent()).toContain("+1");
    expect(await chart.textContent()).toContain("−1");

    // 1024 px: nothing sticks out sideways, for the agent, the customer and the supervisor.
    await agent.setViewportSize({ width: 1024, height: 768 });
    for (const [who, page] of [["agent", agent], ["customer", customer], ["supervisor", supervisor]] as const) {
      const { excess, culprits } = await overflow(page);
      expect(excess, `${who} page overflows by ${excess} px: ${culprits.join(", ")}`).toBe(0);
    }
    for (const width of [1440, 1024]) {
      await agent.setViewportSize({ width, height: 900 });
      expect(await placeholderFits(agent.getByLabel("Search customers")), `customer search placeholder at ${width} px`).toBe(true);
    }
  });
});
