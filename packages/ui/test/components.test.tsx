import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AISuggestionPanel, AudioLevelMeter, CallControls, ChatMessage, CustomerInfoCard, MetricCard, SentimentTrend, levelPercent } from "../src/index.js";
import { customer, sentimentPoints, trackOrder, unsure } from "../src/fixtures.js";

afterEach(cleanup);

describe("AudioLevelMeter", () => {
  it("reports the level as a meter value and drops to zero when muted", () => {
    const { rerender } = render(<AudioLevelMeter level={0.04} />);
    expect(screen.getByRole("meter", { name: "Microphone level" }).getAttribute("aria-valuenow")).toBe(String(levelPercent(0.04)));
    rerender(<AudioLevelMeter level={0.04} muted />);
    expect(screen.getByRole("meter").getAttribute("aria-valuenow")).toBe("0");
  });

  it("caps loud input at 100 and treats bad values as silence", () => {
    expect(levelPercent(4)).toBe(100);
    expect(levelPercent(Number.NaN)).toBe(0);
    expect(levelPercent(-1)).toBe(0);
  });
});

describe("ChatMessage", () => {
  it("shows a partial transcript's stable part apart from the words that may still change", () => {
    render(
      <ol>
        <ChatMessage speaker="customer" kind="transcript" final={false} stableText="It was" text="It was due Mon" speakerLabel="Customer" />
      </ol>,
    );
    expect(screen.getByText("speaking…")).toBeTruthy();
    expect(screen.getByText("due Mon", { exact: false }).className).toBe("unstable");
  });

  it("shows the time, the author and the sentiment mark of a typed line", () => {
    render(
      <ol>
        <ChatMessage speaker="agent" kind="chat" text="Hello" speakerLabel="Agent" author="Alex" time="1:05" sentiment={{ label: "negative", score: -0.6 }} />
      </ol>,
    );
    const line = screen.getByRole("listitem");
    expect(line.querySelector("time")?.textContent).toBe("1:05");
    expect(line.textContent).toContain("Alex");
    expect(within(line).getByRole("img", { name: "Sentiment: negative" }).textContent).toBe("▼");
  });
});

describe("CallControls", () => {
  it("toggles mute and ends the call", () => {
    const onToggleMute = vi.fn();
    const onEnd = vi.fn();
    render(<CallControls muted onToggleMute={onToggleMute} onEnd={onEnd} level={0.1} />);
    const mute = screen.getByRole("button", { name: "Unmute" });
    expect(mute.getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(mute);
    fireEvent.click(screen.getByRole("button", { name: "End call" }));
    expect(onToggleMute).toHaveBeenCalledOnce();
    expect(onEnd).toHaveBeenCalledOnce();
    expect(screen.getByRole("meter").getAttribute("aria-valuenow")).toBe("0");
  });

  it("disables every button while disabled", () => {
    render(<CallControls muted={false} onToggleMute={() => {}} onEnd={() => {}} disabled />);
    for (const button of screen.getAllByRole("button")) expect((button as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("AISuggestionPanel", () => {
  it("offers the suggestion with its confidence, sources and action, and hands it to onUse", () => {
    const onUse = vi.fn();
    render(<AISuggestionPanel suggestion={trackOrder} onUse={onUse} onDismiss={() => {}} actionLabels={{ track_order: "Track the order" }} useShortcut="U" />);
    expect(screen.getByRole("meter", { name: "Confidence" }).getAttribute("aria-valuenow")).toBe("86");
    expect(screen.getByText("Track the order")).toBeTruthy();
    expect(screen.getByText(/Shipping times and tracking/)).toBeTruthy();
    const use = screen.getByRole("button", { name: /Use it/ });
    expect(use.getAttribute("aria-keyshortcuts")).toBe("U");
    fireEvent.click(use);
    expect(onUse).toHaveBeenCalledWith(trackOrder);
  });

  it("marks low confidence, says what was done, and lists earlier suggestions", () => {
    render(<AISuggestionPanel suggestion={unsure} state="dismissed" history={[{ suggestion: trackOrder, state: "accepted" }, { suggestion: unsure, state: "dismissed" }]} />);
    expect(screen.getByRole("meter", { name: "Confidence" }).className).toContain("confidence-low");
    expect(screen.getByText("Dismissed")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Use it/ })).toBeNull();
    const earlier = screen.getByRole("heading", { name: "Earlier suggestions" }).parentElement!;
    expect(within(earlier).getAllByRole("listitem").map((item) => item.textContent)).toEqual([`${trackOrder.suggestion} used`]);
  });

  it("says it is not sure instead of presenting a low-confidence guess as the next step", () => {
    const { rerender } = render(<AISuggestionPanel suggestion={unsure} onUse={() => {}} />);
    expect(screen.getByRole("heading", { name: "Not sure — ask what they need." })).toBeTruthy();
    expect(screen.getByText(`Best guess: ${unsure.suggestion}`)).toBeTruthy();
    expect(screen.getByText(/Not sure, best guess/)).toBeTruthy();
    rerender(<AISuggestionPanel suggestion={trackOrder} onUse={() => {}} />);
    expect(screen.getByRole("heading", { name: trackOrder.suggestion })).toBeTruthy();
    expect(screen.queryByText(/Not sure/)).toBeNull();
    rerender(<AISuggestionPanel suggestion={trackOrder} onUse={() => {}} lowConfidenceBelow={0.9} />);
    expect(screen.getByRole("heading", { name: "Not sure — ask what they need." })).toBeTruthy();
  });

  it("is read-only without handlers, and says when it waits or failed", () => {
    const { rerender } = render(<AISuggestionPanel suggestion={trackOrder} />);
    expect(screen.queryAllByRole("button")).toHaveLength(0);
    rerender(<AISuggestionPanel suggestion={null} loading />);
    expect(screen.getByText(/Listening/)).toBeTruthy();
    rerender(<AISuggestionPanel suggestion={null} error="Suggestions are unavailable." />);
    expect(screen.getByRole("alert").textContent).toBe("Suggestions are unavailable.");
  });
});

describe("CustomerInfoCard", () => {
  it("shows the record, with the host app's action on each ticket", () => {
    render(<CustomerInfoCard customer={customer} ticketAction={(ticket) => <button>Close {ticket.subject}</button>} />);
    expect(screen.getByRole("region", { name: "Customer" }).textContent).toContain("Dana Whitfield");
    expect(screen.getByText("$1840.50")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Close Late delivery" })).toBeTruthy();
  });

  it("says when it is looking the caller up, and shows the notice when nothing matched", () => {
    const { rerender } = render(<CustomerInfoCard customer={null} loading />);
    expect(screen.getByText("Looking up the caller…")).toBeTruthy();
    rerender(<CustomerInfoCard customer={null} notice={<p>No match.</p>} />);
    expect(screen.getByText("No match.")).toBeTruthy();
  });
});

describe("SentimentTrend", () => {
  it("draws one dot per utterance with labelled axes and a legend", () => {
    const { container } = render(<SentimentTrend points={sentimentPoints([-0.5, 0.2, 0.6])} />);
    expect(container.querySelectorAll("circle")).toHaveLength(3);
    expect(screen.getByRole("img").getAttribute("aria-label")).toMatch(/^Sentiment trend .*latest positive$/);
    expect([...container.querySelectorAll(".axis-label")].map((label) => label.textContent)).toContain("−1");
    expect(within(screen.getByRole("list", { name: "Sentiment marks" })).getAllByRole("listitem")).toHaveLength(4);
  });

  it("says so when there is nothing to draw", () => {
    render(<SentimentTrend points={[]} emptyText="Nothing yet." />);
    expect(screen.getByText("Nothing yet.")).toBeTruthy();
  });
});

describe("MetricCard", () => {
  it("shows the value, a placeholder while loading, and the error", () => {
    const { rerender } = render(<dl><MetricCard id="aht" label="Handle time" value="4 min" /></dl>);
    expect(screen.getByRole("definition").textContent).toBe("4 min");
    rerender(<dl><MetricCard id="aht" label="Handle time" value={null} /></dl>);
    expect(screen.getByRole("definition").textContent).toBe("…");
    rerender(<dl><MetricCard id="aht" label="Handle time" value={null} error="Not available" /></dl>);
    expect(screen.getByRole("definition").textContent).toBe("Not available");
  });
});
