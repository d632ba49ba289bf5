import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { AvailabilitySwitch } from "../src/components/AvailabilitySwitch";
import { Composer, UNCONFIRMED_MS } from "../src/components/Composer";
import { ErrorList } from "../src/components/ErrorList";
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
    expect(within(log).getByText("speaking…")).toBeTruthy();
    // The key under the log explains the tag and the typed lines.
    expect(screen.getByRole("list", { name: "How to read the conversation" }).textContent).toContain("no tag: typed in the chat");
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
  it("keeps the text with a reason when it could not be sent, and again until the server took it", () => {
    const results = [false, true];
    const send = vi.fn(() => results.shift()!);
    const { rerender } = render(<Composer onSend={send} newId={() => "id-1"} />);
    const input = screen.getByLabelText("Message") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "  hello  " } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(send).toHaveBeenLastCalledWith("hello", "id-1");
    expect(input.value).toBe("  hello  ");
    expect(screen.getByRole("alert").textContent).toMatch(/Not sent/);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(input.value).toBe("  hello  "); // sent, but not yet accepted
    expect(screen.getByRole("button", { name: "Sending…" })).toBeTruthy();
    rerender(<Composer onSend={send} newId={() => "id-1"} receipts={{ "id-1": { accepted: true } }} />);
    expect(input.value).toBe("");
    expect(screen.getByRole("button", { name: "Send" })).toBeTruthy();
  });

  it("keeps a refused line, says why, and sends it again on Retry", () => {
    const send = vi.fn(() => true);
    let next = 0;
    const newId = () => `id-${++next}`;
    const { rerender } = render(<Composer onSend={send} newId={newId} />);
    const input = screen.getByLabelText("Message") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "where is my order?" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const refused = { "id-1": { accepted: false as const, code: "rate_limited", reason: "You're sending messages faster than we can take them; wait a moment, then try again." } };
    rerender(<Composer onSend={send} newId={newId} receipts={refused} />);
    expect(input.value).toBe("where is my order?");
    expect(screen.getByRole("alert").textContent).toMatch(/Not sent: You're sending messages faster/);
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(send).toHaveBeenLastCalledWith("where is my order?", "id-2");
    rerender(<Composer onSend={send} newId={newId} receipts={{ ...refused, "id-2": { accepted: true } }} />);
    expect(input.value).toBe("");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offers to send again when the server has not confirmed a line for a while", () => {
    vi.useFakeTimers();
    try {
      const send = vi.fn(() => true);
      render(<Composer onSend={send} newId={() => "id-1"} />);
      fireEvent.change(screen.getByLabelText("Message"), { target: { value: "hello?" } });
      fireEvent.click(screen.getByRole("button", { name: "Send" }));
      act(() => vi.advanceTimersByTime(UNCONFIRMED_MS + 10));
      expect(screen.getByRole("status").textContent).toMatch(/Not confirmed yet/);
      fireEvent.click(screen.getByRole("button", { name: "Send again" }));
      expect(send).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is disabled with a reason when the call is over", () => {
    render(<Composer onSend={() => true} disabled disabledReason="The call has ended" />);
    expect((screen.getByLabelText("Message") as HTMLInputElement).placeholder).toBe("The call has ended");
    expect((screen.getByRole("button", { name: "Send" }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("ErrorList", () => {
  it("shows each problem once with a count and its code, and can dismiss it", () => {
    const dismiss = vi.fn();
    const notices = [{ key: "rate_limited:audio", code: "rate_limited", refType: "audio", text: "Too fast.", count: 3, lastAt: 0 }];
    render(<ErrorList notices={notices} onDismiss={dismiss} />);
    const item = screen.getByRole("listitem");
    expect(item.textContent).toContain("Too fast. (×3)");
    expect(item.getAttribute("data-code")).toBe("rate_limited");
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(dismiss).toHaveBeenCalledWith("rate_limited:audio");
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
    render(<AvailabilitySwitch available={false} reason={null} disabled={false} onChange={change} />);
    const toggle = screen.getByRole("switch", { name: "Available for calls" });
    fireEvent.click(toggle);
    expect(change).toHaveBeenCalledWith(true, null);
  });

  it("steps away with the reason picked", () => {
    const change = vi.fn();
    render(<AvailabilitySwitch available reason={null} disabled={false} onChange={change} />);
    fireEvent.change(screen.getByRole("combobox", { name: "Away reason" }), { target: { value: "lunch" } });
    expect(change).toHaveBeenCalledWith(false, "lunch");
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

  it("fills the notes with the summary when it arrives, unless the agent typed some", () => {
    const submit = vi.fn();
    const { rerender } = render(<WrapUpForm onSubmit={submit} summaryNotes={null} />);
    const notes = () => screen.getByLabelText("Notes") as HTMLTextAreaElement;
    expect(notes().value).toBe("");
    rerender(<WrapUpForm onSubmit={submit} summaryNotes="Reason: parcel late." />);
    expect(notes().value).toBe("Reason: parcel late.");
    fireEvent.change(notes(), { target: { value: "My own notes" } });
    rerender(<WrapUpForm onSubmit={submit} summaryNotes="Reason: parcel late (LLM)." />);
    expect(notes().value).toBe("My own notes");
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
