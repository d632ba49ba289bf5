import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, detailText, onUnauthorized } from "../src/lib/api";

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  vi.stubGlobal("fetch", vi.fn(async () => new Response(body === null ? null : JSON.stringify(body), { status, headers })));
}

afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthorized(null);
});

describe("api client", () => {
  it("turns pydantic's validation errors into one readable line", () => {
    expect(detailText("username taken")).toBe("username taken");
    expect(
      detailText([
        { loc: ["body", "password"], msg: "String should have at least 8 characters" },
        { loc: ["body", "username"], msg: "Field required" },
      ]),
    ).toBe("password: String should have at least 8 characters; username: Field required");
  });

  it("sends JSON with the session cookie and returns the body", async () => {
    respond(201, { call_id: "c1", token: "t" });
    await expect(api.startCall({ name: "Jane" })).resolves.toEqual({ call_id: "c1", token: "t" });
    const [path, init] = vi.mocked(fetch).mock.calls[0];
    expect(path).toBe("/api/calls");
    expect(init).toMatchObject({ method: "POST", credentials: "same-origin", body: JSON.stringify({ name: "Jane" }) });
  });

  it("reports the server's detail and Retry-After on errors", async () => {
    respond(429, { detail: "too many attempts" }, { "Retry-After": "42" });
    const error = await api.login("agent1", "wrong").catch((caught) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, message: "too many attempts", retryAfter: 42 });
  });

  it("tells the auth context when the session has expired, but not for a failed login", async () => {
    const expired = vi.fn();
    onUnauthorized(expired);
    respond(401, { detail: "not logged in" });
    await api.users().catch(() => undefined);
    expect(expired).toHaveBeenCalledTimes(1);
    await api.login("agent1", "wrong").catch(() => undefined);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("says the server cannot be reached when the network fails", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.me()).rejects.toMatchObject({ status: 0, message: expect.stringMatching(/Cannot reach/) });
  });

  it("accepts 204 with no body", async () => {
    respond(204, null);
    await expect(api.logout()).resolves.toBeUndefined();
  });
});
