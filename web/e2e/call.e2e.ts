// A customer and an agent in two browser contexts are matched and chat; a supervisor watches.
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

const shot = (page: Page, name: string) => page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });

describe("a call in the browser", () => {
  it("matches customer and agent, who chat while a supervisor watches, then wraps up", async () => {
    const base = earshot.baseUrl;

    // (1) The agent logs in through the login page and becomes available.
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const loginPage = await agentContext.newPage();
    await loginPage.goto(`${base}/login`);
    await shot(loginPage, "login");
    await loginPage.close();
    const agent = await loginAs(agentContext, base, "agent1", "agent1-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();
    await agent.getByRole("switch", { name: "Available for calls" }).click(); // confirmed by the server, not toggled locally
    await agent.getByText("Waiting for the next call").waitFor();
    await shot(agent, "agent-available");

    // (2) A customer starts a call from /call.
    const customerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const customer = await customerContext.newPage();
    await customer.goto(`${base}/call`);
    await shot(customer, "customer-start");
    await customer.getByLabel("Your name").fill("Jane Doe");
    await customer.getByLabel(/Email/).fill("jane.doe@example.com");
    await customer.getByRole("button", { name: "Start call" }).click();
    await customer.getByRole("heading", { name: "Waiting for an agent" }).waitFor();

    // (3) The agent's console rings; Accept has the focus.
    const offer = agent.getByRole("alertdialog");
    await offer.getByRole("heading", { name: "Jane Doe" }).waitFor();
    expect(await agent.evaluate(() => document.activeElement?.textContent)).toBe("Accept");
    await customer.getByText(/in line|Finding you an agent/).waitFor();
    await shot(customer, "customer-waiting");
    await shot(agent, "agent-ringing");
    await offer.getByRole("button", { name: "Accept" }).click();
    await customer.getByRole("heading", { name: "Connected with Alex Agent" }).waitFor();

    const customerSays = "Hi, my headphones stopped working";
    const agentSays = "Sorry to hear that, let me check your order";
    await customer.getByLabel("Message").fill(customerSays);
    await customer.getByRole("button", { name: "Send" }).click();
    await agent.getByRole("log").getByText(customerSays).waitFor();
    await agent.getByLabel("Message").fill(agentSays);
    await agent.getByRole("button", { name: "Send" }).click();
    await customer.getByRole("log").getByText(agentSays).waitFor();
    await shot(customer, "customer-in-call");

    // (4) A supervisor sees the live call, opens it and reads both messages, read-only.
    const supervisorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const supervisor = await loginAs(supervisorContext, base, "supervisor", "supervisor-demo-pass");
    await supervisor.waitForURL(`${base}/supervisor`);
    const row = supervisor.getByRole("row").filter({ hasText: "Jane Doe" });
    await row.getByText("In call", { exact: true }).waitFor();
    await row.getByText("Alex Agent").waitFor();
    await row.click();
    const watched = supervisor.getByRole("log");
    await watched.getByText(customerSays).waitFor();
    await watched.getByText(agentSays).waitFor();
    expect(await supervisor.getByLabel("Message").count()).toBe(0);
    await shot(supervisor, "supervisor-watching");

    // The customer's network drops: the page says so and keeps what they type; the agent's reply
    // written meanwhile arrives once the page reconnects and resumes from the last seq it saw.
    await customerContext.setOffline(true);
    await customer.getByRole("status").getByText("Offline", { exact: true }).waitFor();
    await customer.getByLabel("Message").fill("Are you still there?");
    await customer.getByRole("button", { name: "Send" }).click();
    await customer.getByText(/Not sent/).waitFor();
    const whileAway = "I found your order, one moment";
    await agent.getByLabel("Message").fill(whileAway);
    await agent.getByRole("button", { name: "Send" }).click();
    await agent.getByRole("log").getByText(whileAway).waitFor();
    await shot(customer, "customer-offline");
    await customerContext.setOffline(false);
    await customer.getByRole("status").getByText("Connected", { exact: true }).waitFor();
    await customer.getByRole("log").getByText(whileAway).waitFor();
    await customer.getByRole("button", { name: "Send" }).click();
    await agent.getByRole("log").getByText("Are you still there?").waitFor();
    expect(await customer.getByRole("log").getByText(agentSays).count()).toBe(1); // no repeats after the replay

    await shot(agent, "agent-in-call");
    await agent.setViewportSize({ width: 800, height: 900 });
    await shot(agent, "agent-in-call-800px");
    await agent.setViewportSize({ width: 1280, height: 800 });

    // (5) The agent ends the call; the customer sees it ended; the agent files the wrap-up.
    await agent.getByRole("button", { name: "End call" }).click();
    await customer.getByRole("heading", { name: "Call ended" }).waitFor();
    await customer.getByText("The agent hung up.").first().waitFor();
    await customer.getByRole("button", { name: "Start a new call" }).waitFor();
    await shot(customer, "customer-ended");
    await agent.getByRole("heading", { name: "Wrap up the call" }).waitFor();
    await expect(agent.getByRole("switch", { name: "Available for calls" }).isDisabled()).resolves.toBe(true);
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await agent.getByText("Choose how the call ended.").waitFor(); // a disposition is required
    await agent.getByLabel("Resolved", { exact: true }).check();
    await agent.getByLabel("Notes").fill("Replacement offered");
    await shot(agent, "agent-wrap-up");
    await agent.getByRole("button", { name: "File wrap-up" }).click();
    await agent.getByText("Waiting for the next call").waitFor();
    await agent.getByRole("switch", { name: "Available for calls" }).click();
    await agent.getByText("You are not available").waitFor();

    // The supervisor's watched call ends too, and the call shows up under recent calls with its disposition.
    await supervisor.getByText("The agent hung up.").first().waitFor();
    await supervisor.getByRole("button", { name: "Refresh" }).click();
    const recent = supervisor.getByRole("region", { name: "Recent calls" }).getByRole("row").filter({ hasText: "Jane Doe" });
    await recent.getByText("Resolved").waitFor();
    await recent.getByText("Replacement offered").waitFor();
    await shot(supervisor, "supervisor-recent");
    // A finished call can be read back from its event log.
    await supervisor.getByRole("button", { name: "Close" }).or(supervisor.getByRole("button", { name: "Stop watching" })).click();
    await supervisor.getByRole("heading", { name: "Watch a call" }).waitFor();
    await recent.getByRole("button", { name: "Read the call with Jane Doe" }).click();
    await supervisor.getByRole("log").getByText(whileAway).waitFor();
    await supervisor.getByRole("log").getByText("The agent hung up.").waitFor();
    await supervisor.getByRole("button", { name: "Close" }).waitFor();
    await shot(supervisor, "supervisor-history");
  });

  it("lets an admin manage users and keeps other roles out", async () => {
    const base = earshot.baseUrl;
    const admin = await loginAs(await browser.newContext({ viewport: { width: 1280, height: 800 } }), base, "admin", "admin-demo-pass");
    await admin.waitForURL(`${base}/admin/users`);
    await admin.getByRole("cell", { name: "agent2", exact: true }).waitFor();

    await admin.getByLabel("Username").fill("agent9");
    await admin.getByLabel("Display name").fill("Nina Newcomer");
    await admin.getByLabel("Password").fill("short");
    await admin.getByRole("button", { name: "Create user" }).click();
    // The browser's own minLength check stops this one; bypass it to see the server's answer inline.
    await admin.getByLabel("Password").evaluate((input) => input.removeAttribute("minlength"));
    await admin.getByRole("button", { name: "Create user" }).click();
    await admin.getByRole("alert").filter({ hasText: /password/i }).waitFor();
    await admin.getByLabel("Password").fill("nina-demo-pass");
    await admin.getByRole("button", { name: "Create user" }).click();
    await admin.getByText("Created agent9.").waitFor();
    const nina = admin.getByRole("row").filter({ hasText: "agent9" });
    await nina.getByLabel("Role of agent9").selectOption("supervisor");
    await nina.getByRole("button", { name: "Disable agent9" }).click();
    await nina.getByText("Disabled").waitFor();
    await shot(admin, "admin-users");

    const agentContext = await browser.newContext();
    const agent = await loginAs(agentContext, base, "agent2", "agent2-demo-pass");
    await agent.waitForURL(`${base}/agent`);
    await agent.getByRole("status").getByText("Connected").waitFor();
    // The same agent opens the console in a second tab: the first one stops, and says why.
    const secondTab = await agentContext.newPage();
    await secondTab.goto(`${base}/agent`);
    await secondTab.getByRole("status").getByText("Connected").waitFor();
    await agent.getByText("This console was opened in another window").waitFor();
    await shot(agent, "agent-replaced");
    await secondTab.close();
    await agent.goto(`${base}/supervisor`);
    await agent.getByRole("heading", { name: "You don't have access to this page" }).waitFor();
    await shot(agent, "no-access");
    await agent.goto(`${base}/no/such/page`);
    await agent.getByRole("heading", { name: "Page not found" }).waitFor();
    await shot(agent, "not-found");

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${base}/supervisor`);
    await visitor.waitForURL(`${base}/login?next=%2Fsupervisor`);
    await visitor.getByLabel("Username").fill("supervisor");
    await visitor.getByLabel("Password").fill("wrong password");
    await visitor.getByRole("button", { name: "Log in" }).click();
    await visitor.getByText("Wrong username or password.").waitFor();
    await shot(visitor, "login-error");
    await visitor.getByLabel("Password").fill("supervisor-demo-pass");
    await visitor.getByRole("button", { name: "Log in" }).click();
    await visitor.waitForURL(`${base}/supervisor`);
  });

  it("shows a waiting customer their place in line, and lets them leave", async () => {
    const base = earshot.baseUrl;
    const customer = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await customer.goto(`${base}/call`);
    await customer.getByLabel("Your name").fill("Quentin Queue");
    await customer.getByRole("button", { name: "Start call" }).click();
    await customer.getByText("You are next in line.").waitFor(); // nobody is available now
    await customer.reload(); // the call survives a reload of the page
    await customer.getByText("You are next in line.").waitFor();
    await customer.getByRole("button", { name: "Leave the queue" }).click();
    await customer.getByRole("heading", { name: "Call ended" }).waitFor();
    await customer.getByRole("button", { name: "Start a new call" }).click();
    await customer.getByLabel("Your name").waitFor();
  });
});
