import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { secondsLeft, OfferCard } from "../src/components/OfferCard";
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
