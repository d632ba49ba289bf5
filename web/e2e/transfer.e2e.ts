// Call transfer: agent A hands a caller to agent B from the call controls; the caller's page says they
// are being transferred, B is rung, accepts and sees the conversation so far, and the two talk on.
// A is free again, told where the call went.
import { describe, it } from "vitest";
import { answeredCall, availableAgent, withEarshotAndChromium } from "./server";

const running = withEarshotAndChromium();

describe("call transfer", () => {
  it("hands the caller to another available agent, who gets the conversation so far", async () => {
    const { browser, earshot } = running;
    const base = earshot.baseUrl;
    const alex = await availableAgent(browser, base);

    const customer = await answeredCall(browser, base, alex, "Tara Transfer");
    await customer.getByLabel("Message").fill("My refund went to the wrong card");
    await customer.getByRole("button", { name: "Send" }).click();
    await alex.getByRole("log").getByText("My refund went to the wrong card").waitFor();

    // Blake comes on duty only now, so the caller rang Alex; Alex's transfer list shows Blake.
    const blake = await availableAgent(browser, base, undefined, "agent2");
    await alex.getByRole("button", { name: "Transfer", exact: true }).click();
    const menu = alex.getByRole("group", { name: "Transfer the call" });
    await menu.getByRole("button", { name: "Transfer to Blake Agent" }).click();

    // The caller stays connected and is told; Alex is free again and told where the call went.
    await customer.getByRole("heading", { name: "Transferring you to another agent" }).waitFor();
    await customer.getByRole("log").getByText("Alex Agent transferred the call to Blake Agent").waitFor();
    await alex.getByText("You transferred Tara Transfer to Blake Agent.").waitFor();
    await alex.locator(".app-header").getByText("Available", { exact: true }).waitFor();

    // Blake is rung, accepts, and sees the conversation from before the transfer.
    await blake.getByRole("alertdialog").getByRole("heading", { name: "Tara Transfer" }).waitFor();
    await blake.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
    await customer.getByRole("heading", { name: "Connected with Blake Agent" }).waitFor();
    await blake.getByRole("log").getByText("My refund went to the wrong card").waitFor();
    await blake.getByRole("log").getByText("Alex Agent transferred the call to Blake Agent").waitFor();

    // They talk on.
    await blake.getByLabel("Message").fill("I can move that refund for you");
    await blake.getByRole("button", { name: "Send" }).click();
    await customer.getByRole("log").getByText("I can move that refund for you").waitFor();
  });
});
