import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthProvider } from "../src/lib/auth";
import { DashboardPage } from "../src/pages/DashboardPage";

// uPlot draws on a canvas, which jsdom has not got; the page's own markup is what is tested here.
vi.mock("uplot", () => {
  const uPlot = vi.fn(function (this: { setSize: () => void; destroy: () => void; setData: () => void }) {
    this.setSize = () => undefined;
    this.destroy = () => undefined;
    this.setData = () => undefined;
  });
  return { default: Object.assign(uPlot, { paths: { bars: () => () => null }, tzDate: (date: Date) => date }) };
});
vi.mock("uplot/dist/uPlot.min.css", () => ({}));

const kpis = {
  calls_handled: 12,
  calls_abandoned: 1,
  service_level: 0.9,
  average_speed_of_answer_s: 14,
  average_handle_time_s: 310,
  first_response_time_s: 8,
  resolution_rate: 0.75,
  abandonment_rate: 0.077,
  average_sentiment: 0.12,
  negative_call_share: 0.1,
  suggestion_acceptance_rate: 0.5,
  utilization: 0.62,
};

const alert = {
  id: 5,
  kpi: "average_speed_of_answer_s",
  scope: "all",
  bucket_start: "2026-11-16T10:00:00Z",
  value: 70,
  baseline: 10,
  score: 12.1,
  message: "Wait time 70 s, up 60 s at 2026-11-16 10:00 UTC against 10 s",
  created_at: "2026-11-16T11:00:05Z",
  acknowledged_at: null,
  acknowledged_by: null,
};

let acknowledged = false;

// jsdom has no ResizeObserver; the charts only use it to follow their box's width. Kept for the whole
// file (not stubbed per test) because a response landing after a test still renders the charts.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

function routes(path: string, init?: RequestInit): unknown {
  const url = new URL(path, "http://earshot.test");
  if (url.pathname === "/api/metrics/alerts/5/acknowledge" && init?.method === "POST") {
    acknowledged = true;
    return { ...alert, acknowledged_at: "2026-11-16T11:05:00Z", acknowledged_by: 2 };
  }
  switch (url.pathname) {
    case "/api/auth/me":
      return { id: 2, username: "supervisor", display_name: "Sam Supervisor", role: "supervisor", is_active: true, created_at: "2026-11-01T00:00:00Z" };
    case "/api/metrics/summary":
      return { ...kpis, from_date: url.searchParams.get("from"), to_date: url.searchParams.get("to"), service_level_seconds: 20 };
    case "/api/metrics/timeseries":
      return [{ ...kpis, bucket_start: "2026-11-16T10:00:00Z" }];
    case "/api/metrics/agents":
      return [{ ...kpis, agent_id: 3, agent_name: "Alex Agent" }];
    case "/api/metrics/reasons":
      return [{ ...kpis, utilization: undefined, reason: "track_order" }];
    case "/api/metrics/definitions":
      return [
        { key: "calls_handled", label: "Calls handled", unit: "count", definition: "Calls an agent answered that have ended." },
        { key: "reason", label: "Call reason", unit: "label", definition: "The action of the first suggestion." },
      ];
    case "/api/metrics/alerts":
      return acknowledged ? [] : [alert];
    default:
      throw new Error(`unexpected request ${path}`);
  }
}

beforeEach(() => {
  acknowledged = false;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string, init?: RequestInit) => new Response(JSON.stringify(routes(path, init)), { status: 200 })),
  );
});

afterEach(() => vi.unstubAllGlobals());

function renderDashboard(search = "?from=2026-11-16&to=2026-11-16&interval=hour") {
  return render(
    <MemoryRouter initialEntries={[`/dashboard${search}`]}>
      <AuthProvider>
        <DashboardPage />
      </AuthProvider>
    </MemoryRouter>,
  );
}

function requested(pathname: string): string[] {
  return vi
    .mocked(fetch)
    .mock.calls.map(([path]) => String(path))
    .filter((path) => path.startsWith(pathname));
}

describe("dashboard page", () => {
  it("shows every KPI as a tile with its definition", async () => {
    renderDashboard();
    const tiles = screen.getByRole("region", { name: "Key figures" });
    await within(tiles).findByText("12");
    expect(within(tiles).getByText("5 min 10 s")).toBeTruthy();
    expect(within(tiles).getByText("90 %")).toBeTruthy();
    expect(within(tiles).getByText("+0.12")).toBeTruthy();
    const tip = within(tiles).getByRole("button", { name: "What is Calls handled?" });
    expect(document.getElementById(tip.getAttribute("aria-describedby")!)?.textContent).toBe("Calls an agent answered that have ended.");
  });

  it("lists agents and reasons, and labels each chart for screen readers", async () => {
    renderDashboard();
    const agents = screen.getByRole("region", { name: "Agents" });
    expect(await within(agents).findByRole("rowheader", { name: "Alex Agent" })).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Call reasons" })).getByRole("rowheader", { name: "Track order" })).toBeTruthy();
    expect(screen.getByRole("img", { name: /^Call volume: Calls handled: 12 in total; Calls abandoned: 1 in total\.$/ })).toBeTruthy();
  });

  it("links the exports with the filters in the address", async () => {
    renderDashboard("?from=2026-11-01&to=2026-11-30&interval=day&channel=phone");
    await screen.findByRole("rowheader", { name: "Alex Agent" });
    expect(screen.getByRole("link", { name: "Download the agents table as CSV" }).getAttribute("href")).toBe(
      "/api/metrics/export/agents.csv?from=2026-11-01&to=2026-11-30&channel=phone",
    );
    expect(screen.getByRole("link", { name: "Download report (XLSX)" }).getAttribute("href")).toBe(
      "/api/metrics/report.xlsx?from=2026-11-01&to=2026-11-30&interval=day&channel=phone",
    );
  });

  it("asks again when a filter changes", async () => {
    renderDashboard();
    await screen.findByRole("rowheader", { name: "Alex Agent" });
    fireEvent.change(screen.getByLabelText("Agent"), { target: { value: "3" } });
    await waitFor(() => expect(requested("/api/metrics/agents").at(-1)).toBe("/api/metrics/agents?from=2026-11-16&to=2026-11-16&interval=hour&agent_id=3"));
  });

  it("lists open alerts until one is acknowledged", async () => {
    renderDashboard();
    const alerts = screen.getByRole("region", { name: /Alerts/ });
    expect(await within(alerts).findByText(/Wait time 70 s/)).toBeTruthy();
    fireEvent.click(within(alerts).getByRole("button", { name: "Acknowledge the Average speed of answer alert" }));
    await within(alerts).findByText("No open alerts.");
    expect(acknowledged).toBe(true);
  });

  it("says when the range cannot be asked for, without asking", async () => {
    renderDashboard("?from=2026-11-16&to=2026-11-10");
    expect((await screen.findByRole("alert")).textContent).toMatch(/end date is before the start date/);
    expect(requested("/api/metrics/summary")).toEqual([]);
  });
});
