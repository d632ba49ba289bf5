// The one WebSocket client of the app: typed messages, reconnection with backoff, resume by seq.
import type { ClientMessage, ServerMessage } from "./protocol";

export type ConnectionStatus =
  | { state: "connecting" }
  | { state: "open" }
  | { state: "reconnecting"; inSeconds: number; attempt: number }
  | { state: "closed"; reason: string; code: number };

export interface SocketOptions {
  /** Path (e.g. "/ws/agent") or a function giving it, so a reconnect can carry the last seq. */
  url: () => string;
  onMessage: (message: ServerMessage) => void;
  onStatus?: (status: ConnectionStatus) => void;
  /** Called after every (re)connect; returns messages to send first (e.g. resume). */
  onOpen?: () => ClientMessage[];
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

// Close codes after which reconnecting cannot help.
const FINAL_CLOSE: Record<number, string> = {
  4401: "Your session has expired or this call is no longer valid.",
  4403: "You don't have access to this.",
  4404: "Not found.",
  4409: "This console was opened in another window.",
};

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

export function absoluteWsUrl(path: string, location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class CallSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly Impl: typeof WebSocket;
  private readonly random: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: SocketOptions) {
    this.Impl = options.WebSocketImpl ?? WebSocket;
    this.random = options.random ?? Math.random;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.socket?.close(1000, "client closed");
    this.socket = null;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Sends now, or returns false when not connected (callers tell the user). */
  send(message: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(JSON.stringify(message));
    return true;
  }

  sendBinary(data: ArrayBuffer): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(data);
    return true;
  }

  private connect(): void {
    this.options.onStatus?.({ state: "connecting" });
    const socket = new this.Impl(absoluteWsUrl(this.options.url()));
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.options.onStatus?.({ state: "open" });
      for (const message of this.options.onOpen?.() ?? []) socket.send(JSON.stringify(message));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== "string") return;
      try {
        this.options.onMessage(JSON.parse(event.data) as ServerMessage);
      } catch (error) {
        console.error("bad message from server", error);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      const final = FINAL_CLOSE[event.code];
      if (final) {
        this.options.onStatus?.({ state: "closed", reason: final, code: event.code });
        return;
      }
      const delay = backoffDelay(this.attempt, this.random);
      this.attempt += 1;
      this.options.onStatus?.({ state: "reconnecting", inSeconds: Math.ceil(delay / 1000), attempt: this.attempt });
      this.timer = this.setTimer(() => {
        this.timer = null;
        if (!this.stopped) this.connect();
      }, delay);
    };
  }
}
