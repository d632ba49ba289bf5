import { render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/App";
import { AuthProvider } from "../src/lib/auth";
import { safeNext } from "../src/pages/LoginPage";

const agent = { id: 3, username: "agent1", display_name: "Alex Agent", role: "agent", is_active: true, created_at: "2026-11-24T10:00:00Z" };

function signedIn(user: object | null) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (path: string) =>
      path === "/api/auth/me" && user
        ? new Response(JSON.stringify(user), { status: 200 })
        : new Response(JSON.stringify({ detail: "not logged in" }), { status: 401 }),
    ),
  );
}

function ShowLocation() {
  const location = useLocation();
  return <p data-testid="location">{location.pathname + location.search}</p>;
}

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <App />
        <Routes>
          <Route path="*" element={<ShowLocation />} />
        </Routes>
      </AuthProvider>
    </MemoryRouter>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("routes", () => {
  it("sends a visitor of a staff page to the login, and back there afterwards", async () => {
    signedIn(null);
    renderAt("/supervisor");
    expect(await screen.findByRole("heading", { name: "Staff login" })).toBeTruthy();
    expect(screen.getByTestId("location").textContent).toBe("/login?next=%2Fsupervisor");
  });

  it("tells a user when their role may not open a page", async () => {
    signedIn(agent);
    renderAt("/admin/users");
    expect(await screen.findByRole("heading", { name: "You don't have access to this page" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Go to your console" }).getAttribute("href")).toBe("/agent");
  });

  it("opens the start page at the user's own console", async () => {
    signedIn(agent);
    renderAt("/");
    await screen.findByText("/agent");
  });

  it("has a not-found page for unknown addresses", () => {
    signedIn(null);
    renderAt("/no/such/page");
    expect(screen.getByRole("heading", { name: "Page not found" })).toBeTruthy();
  });

  it("only follows ?next= to pages of this site", () => {
    expect(safeNext("/agent")).toBe("/agent");
    expect(safeNext("//evil.example")).toBeNull();
    expect(safeNext("https://evil.example")).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});
