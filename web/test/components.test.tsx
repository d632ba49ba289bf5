import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { AvailabilitySwitch } from "../src/components/AvailabilitySwitch";
import { Composer } from "../src/components/Composer";
import { ConnectionBanner, connectionText } from "../src/components/ConnectionBanner";
import { secondsLeft, OfferCard } from "../src/components/OfferCard";
import { formatDuration } from "../src/components/Timer";
import { Timeline } from "../src/components/Timeline";
import { WrapUpForm } from "../src/components/WrapUpForm";

describe("Timeline", () => {
  it("labels each line by speaker and the viewer's own lines as You", () => {
    render(
      <Timeline
        viewer="agent"
        emptyText="nothing"
        entries={[
          { key: "1", seq: 1, kind: "chat", speaker: "customer", text: "Where is my order?", offsetMs: 1 },
          { key: "2", seq: 2, kind: "chat", speaker: "agent", text: "Let me check.", offsetMs: 2 },
          { key: "3", seq: null, kind: "transcript", speaker: "customer", text: "It was due Monday", stableText: "It was", final: false, offsetMs: 3 },
        ]}
      />,
    );
    const log = screen.getByRole("log");
    expect(log.textContent).toContain("CustomerWhere is my order?");
    expect(log.textContent).toContain("YouLet me check.");
    expect(screen.getByText("speaking…")).toBeTruthy();
  });

  it("names the other party and shows the customer's own lines as You", () => {
    render(
      <Timeline
        viewer="customer"
        emptyText="nothing"
        entries={[
          { key: "1", seq: 1, kind: "chat", speaker: "customer", author: "Jane Doe", text: "Hi", offsetMs: 1 },
          { key: "2", seq: 2, kind: "chat", speaker: "agent", author: "Alex Agent", text: "Hello Jane", offsetMs: 2 },
        ]}
      />,
    );
    const lines = screen.getAllByRole("listitem").filter((item) => item.classList.contains("line"));
    expect(lines.map((line) => line.querySelector(".line-speaker")?.textContent)).toEqual(["You", "AgentAlex Agent"]);
  });

  it("says so when nothing has been said yet", () => {
    render(<Timeline viewer="agent" emptyText="The conversation will appear here." entries={[]} />);
    expect(screen.getByRole("log").textContent).toContain("The conversation will appear here.");
  });
});

describe("Composer", () => {
  it("clears after sending, and keeps the text with a reason when it could not be sent", () => {
    const results = [false, true];
    const send = vi.fn(() => results.shift()!);
    render(<Composer onSend={send} />);
    const input = screen.getByLabelText("Message") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "  hello  " } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(send).toHaveBeenLastCalledWith("hello");
    expect(input.value).toBe("  hello  ");
    expect(screen.getByRole("alert").textContent).toMatch(/Not sent/);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(input.value).toBe("");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("is disabled with a reason when the call is over", () => {
    render(<Composer onSend={() => true} disabled disabledReason="The call has ended" />);
    expect((screen.getByLabelText("Message") as HTMLInputElement).placeholder).toBe("The call has ended");
    expect((screen.getByRole("button", { name: "Send" }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("ConnectionBanner", () => {
  it("names every connection state", () => {
    expect(connectionText({ state: "open" }, 0)).toBe("Connected");
    expect(connectionText({ state: "connecting", attempt: 0 }, 0)).toBe("Connecting…");
    expect(connectionText({ state: "connecting", attempt: 2 }, 0)).toBe("Reconnecting…");
    expect(connectionText({ state: "reconnecting", retryAt: 4200, inSeconds: 5, attempt: 3 }, 1000)).toBe("Reconnecting in 4 s…");
    expect(connectionText({ state: "offline" }, 0)).toBe("Offline");
    expect(connectionText({ state: "closed", code: 4409, reason: "elsewhere" }, 0)).toBe("Disconnected");
  });

  it("counts down to the next attempt", () => {
    vi.useFakeTimers();
    const start = Date.now();
    render(<ConnectionBanner status={{ state: "reconnecting", retryAt: start + 3000, inSeconds: 3, attempt: 3 }} />);
    expect(screen.getByRole("status").textContent).toContain("Reconnecting in 3 s…");
    act(() => vi.advanceTimersByTime(1250));
    expect(screen.getByRole("status").textContent).toContain("Reconnecting in 2 s…");
    vi.useRealTimers();
  });
});

describe("AvailabilitySwitch", () => {
  it("is a labelled switch that asks for the opposite state", () => {
    const change = vi.fn();
    render(<AvailabilitySwitch available={false} disabled={false} onChange={change} />);
    const toggle = screen.getByRole("switch", { name: "Available for calls" });
    fireEvent.click(toggle);
    expect(change).toHaveBeenCalledWith(true);
  });
});

describe("formatDuration", () => {
  it("shows minutes and seconds, and hours for long calls", () => {
    expect(formatDuration(-5)).toBe("0:00");
    expect(formatDuration(65_000)).toBe("1:05");
    expect(formatDuration(3_725_000)).toBe("1:02:05");
  });
});

describe("WrapUpForm", () => {
  it("requires an outcome before filing", () => {
    const submit = vi.fn();
    render(<WrapUpForm onSubmit={submit} />);
    fireEvent.click(screen.getByRole("button", { name: "File wrap-up" }));
    expect(submit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert").textContent).toMatch(/Choose how the call ended/);
    fireEvent.click(screen.getByLabelText("Escalated"));
    fireEvent.change(screen.getByLabelText("Notes"), { target: { value: " to tier 2 " } });
    fireEvent.click(screen.getByRole("button", { name: "File wrap-up" }));
    expect(submit).toHaveBeenCalledWith("escalated", "to tier 2");
  });
});

describe("OfferCard", () => {
  it("counts down to the offer's expiry and focuses Accept", () => {
    expect(secondsLeft("2026-11-24T10:00:15Z", Date.parse("2026-11-24T10:00:03.5Z"))).toBe(12);
    const accept = vi.fn();
    render(
      <OfferCard
        offer={{ type: "call_offer", call_id: "c1", customer_name: "Jane Doe", channel: "phone", waited_seconds: 4, expires_at: "2026-11-24T10:00:15Z", timeout_seconds: 15 }}
        onAccept={accept}
        onDecline={() => undefined}
        now={() => Date.parse("2026-11-24T10:00:05Z")}
      />,
    );
    expect(screen.getByText("10 s to answer")).toBeTruthy();
    expect(screen.getByText("Incoming phone call")).toBeTruthy();
    expect(document.activeElement?.textContent).toBe("Accept");
    fireEvent.click(screen.getByRole("button", { name: "Accept" }));
    expect(accept).toHaveBeenCalled();
  });
});
