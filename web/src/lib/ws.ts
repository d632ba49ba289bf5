// The one WebSocket client of the app: typed messages, reconnection with backoff, resume by seq.
import type { ClientMessage, ServerMessage } from "./protocol";

export type ConnectionStatus =
  | { state: "connecting"; attempt: number }
  | { state: "open" }
  | { state: "reconnecting"; retryAt: number; inSeconds: number; attempt: number }
  /** The browser reports no network: we reconnect as soon as it comes back. */
  | { state: "offline" }
  /** The server refused us for good (close codes 44xx): reconnecting cannot help. */
  | { state: "closed"; reason: string; code: number };

/** Where the browser tells us the network went away or came back (injectable for tests). */
export interface NetworkEvents {
  isOnline: () => boolean;
  subscribe: (onChange: (online: boolean) => void) => () => void;
}

export interface SocketOptions {
  /** Path (e.g. "/ws/agent"), computed at every (re)connect so it can carry the last seq seen. */
  url: () => string;
  /** Subprotocols to offer at every (re)connect: how a secret travels (URLs end up in server logs). */
  protocols?: () => string[];
  onMessage: (message: ServerMessage) => void;
  onStatus?: (status: ConnectionStatus) => void;
  /** Called after every (re)connect; returns messages to send first (e.g. `watch` again). */
  onOpen?: () => ClientMessage[];
  /** A `ping` this often while open; a connection silent for two periods is treated as dead. 0: never. */
  heartbeatMs?: number;
  WebSocketImpl?: typeof WebSocket;
  network?: NetworkEvents | null;
  random?: () => number;
}

// Close codes after which reconnecting cannot help, and what to tell the user.
export const FINAL_CLOSE: Readonly<Record<number, string>> = {
  4401: "Your session has expired or this call is no longer valid.",
  4403: "You don't have access to this.",
  4404: "This call does not exist.",
  4409: "This console was opened in another window or tab. Close this one, or reload it to take over here.",
};

export const MIN_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 25_000;

/** Exponential backoff, 0.5 s doubling up to 10 s, with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** The subprotocols that let the customer into their call: the token never goes in the URL. */
export function callProtocols(token: string): string[] {
  return ["earshot.v1", `token.${token}`];
}

export function absoluteWsUrl(path: string, location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

function browserNetwork(): NetworkEvents | null {
  if (typeof window === "undefined" || typeof navigator === "undefined") return null;
  return {
    isOnline: () => navigator.onLine !== false,
    subscribe: (onChange) => {
      const online = () => onChange(true);
      const offline = () => onChange(false);
      window.addEventListener("online", online);
      window.addEventListener("offline", offline);
      return () => {
        window.removeEventListener("online", online);
        window.removeEventListener("offline", offline);
      };
    },
  };
}

export class CallSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private lastHeard = 0;
  private stopped = true;
  private unsubscribe: (() => void) | null = null;
  private readonly Impl: typeof WebSocket;
  private readonly network: NetworkEvents | null;
  private readonly random: () => number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: SocketOptions) {
    this.Impl = options.WebSocketImpl ?? WebSocket;
    this.network = options.network === undefined ? browserNetwork() : options.network;
    this.random = options.random ?? Math.random;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.network?.subscribe((online) => this.networkChanged(online)) ?? null;
    if (this.network && !this.network.isOnline()) this.report({ state: "offline" });
    else this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "client closed");
  }

  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Sends now, or returns false when not connected: callers keep the message and tell the user. */
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

  private report(status: ConnectionStatus): void {
    this.options.onStatus?.(status);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.retryTimer = null;
    this.heartbeatTimer = null;
  }

  private connect(): void {
    this.clearTimers();
    this.report({ state: "connecting", attempt: this.attempt });
    const protocols = this.options.protocols?.() ?? [];
    const url = absoluteWsUrl(this.options.url());
    const socket = protocols.length > 0 ? new this.Impl(url, protocols) : new this.Impl(url);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.report({ state: "open" });
      for (const message of this.options.onOpen?.() ?? []) socket.send(JSON.stringify(message));
      this.scheduleHeartbeat(socket);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      this.lastHeard = Date.now();
      if (typeof event.data !== "string") return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch (error) {
        console.error("unreadable message from the server", error);
        return;
      }
      this.options.onMessage(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) this.lost(event.code);
    };
  }

  /** The current connection is gone (closed by the server, the network, or our heartbeat). */
  private lost(code: number): void {
    this.socket = null;
    this.clearTimers();
    if (this.stopped) return;
    const final = FINAL_CLOSE[code];
    if (final) {
      this.stopped = true;
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.report({ state: "closed", reason: final, code });
      return;
    }
    if (this.network && !this.network.isOnline()) {
      this.report({ state: "offline" });
      return;
    }
    const delay = backoffDelay(this.attempt, this.random);
    this.attempt += 1;
    this.report({ state: "reconnecting", retryAt: Date.now() + delay, inSeconds: Math.ceil(delay / 1000), attempt: this.attempt });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private scheduleHeartbeat(socket: WebSocket): void {
    if (this.heartbeatMs <= 0) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      if (this.socket !== socket) return;
      if (Date.now() - this.lastHeard > 2 * this.heartbeatMs) {
        // Half-open: the browser may take minutes to notice, so give up on it now.
        socket.onclose = null;
        socket.close(4000, "heartbeat timeout");
        this.lost(1006);
        return;
      }
      socket.send(JSON.stringify({ type: "ping" } satisfies ClientMessage));
      this.scheduleHeartbeat(socket);
    }, this.heartbeatMs);
  }

  private networkChanged(online: boolean): void {
    if (this.stopped) return;
    if (!online) {
      // Without a network the socket is as good as dead; the browser can take minutes to say so.
      const socket = this.socket;
      this.socket = null;
      this.clearTimers();
      if (socket) {
        socket.onclose = null;
        socket.close(1000, "offline");
      }
      this.report({ state: "offline" });
      return;
    }
    if (!this.socket) {
      this.attempt = 0;
      this.connect();
    }
  }
}
