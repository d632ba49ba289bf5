import { describe, expect, it } from "vitest";
import { CallSocket, backoffDelay, type ConnectionStatus } from "../src/lib/ws";

class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function harness() {
  FakeSocket.instances = [];
  const timers: (() => void)[] = [];
  const statuses: ConnectionStatus[] = [];
  let lastSeq = 0;
  const socket = new CallSocket({
    url: () => `/ws/call/c1?last_seq=${lastSeq}`,
    onMessage: () => undefined,
    onStatus: (status) => statuses.push(status),
    onOpen: () => (lastSeq ? [{ type: "resume", last_seq: lastSeq }] : []),
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    random: () => 0.5,
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  });
  return { socket, timers, statuses, setSeq: (seq: number) => (lastSeq = seq) };
}

describe("CallSocket", () => {
  it("backs off exponentially up to 10 s, with jitter", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(10000);
  });

  it("reconnects after a drop and resumes from the last seq it saw", () => {
    const { socket, timers, statuses, setSeq } = harness();
    socket.start();
    FakeSocket.instances[0].open();
    setSeq(7);
    FakeSocket.instances[0].drop();
    expect(statuses.at(-1)).toMatchObject({ state: "reconnecting" });
    timers.shift()!();
    const second = FakeSocket.instances[1];
    expect(second.url).toContain("last_seq=7");
    second.open();
    expect(JSON.parse(second.sent[0])).toEqual({ type: "resume", last_seq: 7 });
    expect(statuses.at(-1)).toEqual({ state: "open" });
  });

  it("does not reconnect when the console was opened elsewhere", () => {
    const { socket, timers, statuses } = harness();
    socket.start();
    FakeSocket.instances[0].open();
    FakeSocket.instances[0].drop(4409);
    expect(timers).toHaveLength(0);
    expect(statuses.at(-1)).toMatchObject({ state: "closed", code: 4409 });
  });

  it("refuses to send while offline instead of losing the message silently", () => {
    const { socket } = harness();
    socket.start();
    expect(socket.send({ type: "chat", text: "hi" })).toBe(false);
  });
});
