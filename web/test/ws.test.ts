import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallSocket, backoffDelay, callProtocols, type ConnectionStatus, type NetworkEvents } from "../src/lib/ws";

class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.closedWith = code;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

class FakeNetwork implements NetworkEvents {
  online = true;
  private listener: ((online: boolean) => void) | null = null;
  isOnline = () => this.online;
  subscribe = (onChange: (online: boolean) => void) => {
    this.listener = onChange;
    return () => (this.listener = null);
  };
  set(online: boolean) {
    this.online = online;
    this.listener?.(online);
  }
}

function harness(options: { heartbeatMs?: number } = {}) {
  FakeSocket.instances = [];
  const statuses: ConnectionStatus[] = [];
  const received: unknown[] = [];
  const network = new FakeNetwork();
  let lastSeq = 0;
  const socket = new CallSocket({
    url: () => `/ws/call/c1?last_seq=${lastSeq}`,
    onMessage: (message) => received.push(message),
    onStatus: (status) => statuses.push(status),
    onOpen: () => (lastSeq ? [{ type: "resume", last_seq: lastSeq }] : []),
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    network,
    random: () => 0.5,
    heartbeatMs: options.heartbeatMs ?? 0,
  });
  const latest = () => FakeSocket.instances.at(-1)!;
  return { socket, statuses, received, network, latest, setSeq: (seq: number) => (lastSeq = seq) };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("doubles from 0.5 s up to 10 s, with jitter in the upper half", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(10000);
    expect(backoffDelay(20, () => 0)).toBe(5000);
  });
});

describe("CallSocket", () => {
  it("connects to the same host over ws and reports open", () => {
    const { socket, statuses, latest } = harness();
    socket.start();
    expect(latest().url).toBe(`ws://${window.location.host}/ws/call/c1?last_seq=0`);
    latest().open();
    expect(statuses).toEqual([{ state: "connecting", attempt: 0 }, { state: "open" }]);
  });

  it("passes server messages on and survives unreadable ones", () => {
    const { socket, received, latest } = harness();
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    socket.start();
    latest().open();
    latest().onmessage?.({ data: "not json" });
    latest().receive({ type: "pong" });
    expect(received).toEqual([{ type: "pong" }]);
    error.mockRestore();
  });

  it("reconnects after a drop and resumes from the last seq it saw", () => {
    const { socket, statuses, setSeq, latest } = harness();
    socket.start();
    latest().open();
    setSeq(7);
    latest().drop();
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", attempt: 1, inSeconds: 1 });
    vi.advanceTimersByTime(374);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1); // 0.5 s with jitter 0.5: 375 ms
    const second = latest();
    expect(FakeSocket.instances).toHaveLength(2);
    expect(second.url).toContain("last_seq=7");
    second.open();
    expect(JSON.parse(second.sent[0])).toEqual({ type: "resume", last_seq: 7 });
    expect(statuses.at(-1)).toEqual({ state: "open" });
  });

  it("waits longer after each failed attempt, and starts over once connected", () => {
    const { socket, statuses, latest } = harness();
    socket.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      latest().drop();
      const status = statuses.at(-1) as Extract<ConnectionStatus, { state: "reconnecting" }>;
      delays.push(status.retryAt - Date.now());
      vi.advanceTimersByTime(status.retryAt - Date.now());
    }
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 7500]);
    latest().open();
    latest().drop();
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting", attempt: 1 });
  });

  it("does not reconnect when the console was opened elsewhere, and says so", () => {
    const { socket, statuses, latest } = harness();
    socket.start();
    latest().open();
    latest().drop(4409);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ state: "closed", code: 4409, reason: expect.stringMatching(/another window/) });
  });

  it("gives up on unauthorized and unknown calls", () => {
    for (const code of [4401, 4403, 4404]) {
      const { socket, statuses, latest } = harness();
      socket.start();
      latest().drop(code);
      vi.advanceTimersByTime(60_000);
      expect(FakeSocket.instances).toHaveLength(1);
      expect(statuses.at(-1)).toMatchObject({ state: "closed", code });
    }
  });

  it("refuses to send while not connected instead of losing the message silently", () => {
    const { socket, latest } = harness();
    socket.start();
    expect(socket.send({ type: "chat", text: "hi" })).toBe(false);
    latest().open();
    expect(socket.send({ type: "chat", text: "hi" })).toBe(true);
    expect(JSON.parse(latest().sent[0])).toEqual({ type: "chat", text: "hi" });
  });

  it("stops for good when asked, without reconnecting", () => {
    const { socket, latest } = harness();
    socket.start();
    latest().open();
    socket.stop();
    expect(latest().closedWith).toBe(1000);
    latest().drop(1000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it("goes offline with the browser and reconnects at once when the network returns", () => {
    const { socket, statuses, network, latest } = harness();
    socket.start();
    latest().open();
    network.set(false);
    expect(statuses.at(-1)).toEqual({ state: "offline" });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    network.set(true);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(statuses.at(-1)).toEqual({ state: "connecting", attempt: 0 });
  });

  it("pings while open and drops a connection that has gone silent", () => {
    const { socket, statuses, latest } = harness({ heartbeatMs: 1000 });
    socket.start();
    const first = latest();
    first.open();
    vi.advanceTimersByTime(1000);
    expect(first.sent.map((m) => JSON.parse(m).type)).toEqual(["ping"]);
    first.receive({ type: "pong" });
    vi.advanceTimersByTime(2000);
    expect(first.sent).toHaveLength(3);
    vi.advanceTimersByTime(1000); // nothing heard for 3 s > 2 periods
    expect(first.closedWith).toBe(4000);
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting" });
  });
});

describe("the customer's call token", () => {
  it("is offered as a subprotocol at every connect, never put in the URL", () => {
    FakeSocket.instances = [];
    const socket = new CallSocket({
      url: () => "/ws/call/c1?last_seq=0",
      protocols: () => callProtocols("secret-token"),
      onMessage: () => {},
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      network: null,
      random: () => 0.5,
      heartbeatMs: 0,
    });
    socket.start();
    FakeSocket.instances[0].drop();
    vi.advanceTimersByTime(1_000);
    expect(FakeSocket.instances).toHaveLength(2);
    for (const attempt of FakeSocket.instances) {
      expect(attempt.protocols).toEqual(["earshot.v1", "token.secret-token"]);
      expect(attempt.url).not.toContain("secret-token");
    }
    socket.stop();
  });
});
