import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthProvider } from "../src/lib/auth";
import type { ServerMessage } from "../src/lib/protocol";
import { HistoryPage } from "../src/pages/HistoryPage";
import { ReplayPage } from "../src/pages/ReplayPage";
import {
  EMPTY_HISTORY_FILTERS,
  filtersFromAddress,
  filtersToAddress,
  historyCsvHref,
  historyQuery,
  type HistoryItem,
} from "../src/state/history";

const supervisor = { id: 2, username: "supervisor", display_name: "Sam Supervisor", role: "supervisor", is_active: true, created_at: "2026-11-24T10:00:00Z" };

function item(callId: string, customer: string): HistoryItem {
  return {
    call_id: callId, status: "ended", channel: "web", customer_name: customer, customer_email: null, customer_phone: null,
    agent_id: 3, agent_name: "Alex Agent", queued_at: "2026-11-24T10:00:00Z", answered_at: "2026-11-24T10:00:05Z",
    ended_at: "2026-11-24T10:03:05Z", end_reason: "hangup", ended_by: "agent", disposition: "resolved", notes: null,
    lowest_sentiment: -0.4, had_alert: true, summary: `Summary of ${customer}`,
  };
}

const base = { call_id: "c1", at: "2026-11-24T10:00:00Z" };
const LOG = [
  { ...base, type: "call_queued", seq: 1, offset_ms: 0, channel: "web", customer_name: "Dana" },
  { ...base, type: "call_started", seq: 2, offset_ms: 2000, agent_id: 3, agent_name: "Alex Agent", at: "2026-11-24T10:00:02Z" },
  { ...base, type: "chat", seq: 3, offset_ms: 3000, speaker: "customer", author: "Dana", text: "Where is my parcel?", client_id: null },
  { ...base, type: "chat", seq: 4, offset_ms: 5000, speaker: "agent", author: "Alex Agent", text: "Let me track it", client_id: null },
  { ...base, type: "call_ended", seq: 5, offset_ms: 9000, reason: "hangup", ended_by: "agent", at: "2026-11-24T10:00:09Z" },
  { ...base, type: "call_wrapped_up", seq: 6, offset_ms: 10_000, disposition: "resolved", notes: "Parcel tracked" },
  {
    ...base, type: "call_summary", seq: 7, offset_ms: 10_500, reason: "Where is my parcel?", actions: ["Tracked the order"], outcome: "Resolved",
    follow_ups: [], notes: "Parcel tracked.", sentiment_start: 0.1, sentiment_end: 0.4, provider: "offline",
  },
] as ServerMessage[];

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
const requests: string[] = [];

/** The server's answers by path; anything else is a 404. */
function serve(answers: (path: string) => Answer | undefined) {
  requests.length = 0;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string) => {
      requests.push(path);
      const answer = path === "/api/auth/me" ? { status: 200, body: supervisor } : answers(path);
      return new Response(JSON.stringify(answer?.body ?? { detail: "no such call" }), { status: answer?.status ?? 404, headers: answer?.headers });
    }),
  );
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <Routes>
          <Route path="/history" element={<HistoryPage />} />
          <Route path="/history/:callId" element={<ReplayPage />} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("history filters", () => {
  it("go to the address and back, dropping what is empty or malformed", () => {
    const filters = { ...EMPTY_HISTORY_FILTERS, from: "2026-11-01", q: "parcel", channel: "web", hadAlert: "true", sort: "oldest" as const };
    const address = filtersToAddress(filters);
    expect(address.toString()).toBe("from=2026-11-01&channel=web&alert=true&q=parcel&sort=oldest");
    expect(filtersFromAddress(address)).toEqual(filters);
    expect(filtersFromAddress(new URLSearchParams("from=yesterday&sort=loudest"))).toEqual(EMPTY_HISTORY_FILTERS);
  });

  it("become the API's query: days as instants, the last day included, the cursor and limit for paging", () => {
    const filters = { ...EMPTY_HISTORY_FILTERS, from: "2026-11-01", to: "2026-11-02", agentId: "3", sentiment: "-0.3", q: " parcel " };
    const query = historyQuery(filters, "abc", 10);
    expect(query.get("since")).toBe(new Date(2026, 10, 1).toISOString());
    expect(query.get("until")).toBe(new Date(2026, 10, 3).toISOString());
    expect(query.get("agent_id")).toBe("3");
    expect(query.get("lowest_sentiment_max")).toBe("-0.3");
    expect(query.get("q")).toBe("parcel");
    expect(query.get("cursor")).toBe("abc");
    expect(query.get("limit")).toBe("10");
    expect(historyCsvHref(filters)).not.toMatch(/limit|cursor/);
    expect(historyCsvHref(filters)).toMatch(/^\/api\/history\.csv\?since=.*&q=parcel&sort=newest$/);
  });
});

describe("history page", () => {
  it("lists calls, pages on with the cursor, and searches by words said", async () => {
    serve((path) => {
      if (!path.startsWith("/api/history?")) return undefined;
      const query = new URLSearchParams(path.split("?")[1]);
      if (query.get("q") === "nothing") return { status: 200, body: { items: [], next_cursor: null } };
      if (query.get("cursor") === "page2") return { status: 200, body: { items: [item("c2", "Eve")], next_cursor: null } };
      return { status: 200, body: { items: [item("c1", "Dana")], next_cursor: "page2" } };
    });
    renderAt("/history");
    const link = await screen.findByRole("link", { name: "Open the call with Dana" });
    expect(link.getAttribute("href")).toBe("/history/c1");
    expect(screen.getByText("Summary of Dana")).toBeTruthy();
    expect(screen.getByText("-0.40 negative")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Show more calls" }));
    await screen.findByRole("link", { name: "Open the call with Eve" });
    expect(screen.queryByRole("button", { name: "Show more calls" })).toBeNull();
    expect(screen.getByLabelText("Agent").textContent).toContain("Alex Agent");

    fireEvent.change(screen.getByLabelText("Words said"), { target: { value: "nothing" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByText("No calls match these filters.");
    expect(requests.at(-1)).toMatch(/q=nothing/);
    expect(screen.getByRole("link", { name: "Download these calls as CSV" }).getAttribute("href")).toMatch(/q=nothing/);
    // The same search again asks the server again: calls that ended since may match now.
    const asked = requests.length;
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(requests.length).toBe(asked + 1));
    await screen.findByText("No calls match these filters.");
  });

  it("says what went wrong and retries", async () => {
    let fail = true;
    serve((path) => (path.startsWith("/api/history?") ? (fail ? { status: 400, body: { detail: "bad cursor" } } : { status: 200, body: { items: [], next_cursor: null } }) : undefined));
    renderAt("/history");
    expect((await screen.findByRole("alert")).textContent).toContain("bad cursor");
    fail = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByText("No calls yet.");
  });
});

describe("replay page", () => {
  it("shows the call, its summary and exports, and a transcript line seeks the replay there", async () => {
    // The log in two pages: the replay opens on the first, the summary comes with the second.
    serve((path) => {
      if (path === "/api/calls/c1/events?after_seq=0&limit=200") return { status: 200, body: LOG.slice(0, 3), headers: { "X-Next-After-Seq": "3" } };
      if (path === "/api/calls/c1/events?after_seq=3&limit=1000") return { status: 200, body: LOG.slice(3) };
      return undefined;
    });
    renderAt("/history/c1");
    await screen.findByRole("heading", { name: "Dana", level: 1 });
    await waitFor(() => expect(screen.queryByText("Reading the rest of the call…")).toBeNull());
    const outcome = screen.getByRole("region", { name: "Summary" });
    expect(outcome.textContent).toContain("Tracked the order");
    expect(outcome.textContent).toContain("0.10 → 0.40");
    expect(outcome.textContent).toContain("Parcel tracked");
    const exports = within(screen.getByRole("group", { name: "Export" })).getAllByRole("link");
    expect(exports.map((link) => link.getAttribute("href"))).toEqual(
      ["json", "txt", "vtt", "srt"].map((format) => `/api/calls/c1/export?format=${format}`),
    );

    // At the start nothing has been said; the line index moves the replay to when a line appeared.
    const conversation = screen.getByRole("log", { name: "Conversation" });
    expect(within(conversation).queryByText("Where is my parcel?")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Go to 0:03: Where is my parcel?" }));
    await waitFor(() => expect(within(conversation).queryByText("Where is my parcel?")).not.toBeNull());
    expect(within(conversation).queryByText("Let me track it")).toBeNull();
    expect((screen.getByLabelText("Position in the call") as HTMLInputElement).value).toBe("3000");
    expect(screen.getByRole("button", { name: "Go to 0:03: Where is my parcel?" }).closest("li")?.getAttribute("aria-current")).toBe("true");

    fireEvent.change(screen.getByLabelText("Position in the call"), { target: { value: "10500" } });
    await waitFor(() => expect(within(conversation).queryByText("Let me track it")).not.toBeNull());
    expect(screen.getByRole("button", { name: "4x" }).getAttribute("aria-pressed")).toBe("false");
    fireEvent.click(screen.getByRole("button", { name: "4x" }));
    expect(screen.getByRole("button", { name: "4x" }).getAttribute("aria-pressed")).toBe("true");
  });

  it("says when the call cannot be opened", async () => {
    serve(() => undefined);
    renderAt("/history/nope");
    expect((await screen.findByRole("alert")).textContent).toBe("There is no such call, or it is not one of yours.");
  });
});
