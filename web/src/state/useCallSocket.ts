// Runs a CallSocket for a page: feeds server messages to a reducer and tracks the connection.
import { useEffect, useReducer, useRef, useState } from "react";
import type { ClientMessage, ServerMessage } from "../lib/protocol";
import { CallSocket, type ConnectionStatus } from "../lib/ws";
import { recordReceipt, type ChatReceipts } from "./chatReceipts";
import { noticesReducer, TRANSIENT_MS, type Notice } from "./notices";

export interface SocketHandle<A = ServerMessage> {
  /** Applies a local action to the same reducer (e.g. "now watching call X"). */
  dispatch: (action: A) => void;
  /** False when not connected: the caller keeps what it wanted to send and says so. */
  send: (message: ClientMessage) => boolean;
  sendBinary: (data: ArrayBuffer) => boolean;
  status: ConnectionStatus;
  /** Errors worded for people, repeats coalesced; they clear when the condition is gone. */
  notices: Notice[];
  dismissNotice: (key: string) => void;
  /** What became of each chat line sent with a `client_id`. */
  chatReceipts: ChatReceipts;
}

export interface CallSocketConfig<S, A> {
  /** The socket's path for the current state (so a reconnect carries `last_seq`); null: don't connect. */
  path: ((state: S) => string) | null;
  /** Subprotocols to offer at every (re)connect (the customer's call token travels there). */
  protocols?: () => string[];
  reducer: (state: S, action: A | ServerMessage) => S;
  initial: S;
  /** Messages to send after every (re)connect, e.g. `watch` again. */
  onOpen?: (state: S) => ClientMessage[];
  /** The server closed for good with 4401 (logged out, or the call token is no longer valid). */
  onUnauthorized?: () => void;
}

export function useCallSocket<S, A = ServerMessage>(config: CallSocketConfig<S, A>): [S, SocketHandle<A>] {
  const [state, dispatch] = useReducer(config.reducer, config.initial);
  const [status, setStatus] = useState<ConnectionStatus>({ state: "connecting", attempt: 0 });
  const [notices, notify] = useReducer(noticesReducer, []);
  const [chatReceipts, setChatReceipts] = useState<ChatReceipts>({});
  const socket = useRef<CallSocket | null>(null);
  const latest = useRef(state);
  latest.current = state;
  const configRef = useRef(config);
  configRef.current = config;
  const active = config.path !== null;

  useEffect(() => {
    if (!active) return;
    const instance = new CallSocket({
      url: () => configRef.current.path!(latest.current),
      protocols: () => configRef.current.protocols?.() ?? [],
      onMessage: (message) => {
        notify(message.type === "error" ? { kind: "error", error: message, now: Date.now() } : { kind: "message", message });
        setChatReceipts((previous) => recordReceipt(previous, message));
        dispatch(message);
      },
      onStatus: (next) => {
        setStatus(next);
        if (next.state === "open") notify({ kind: "connected" });
        if (next.state === "closed" && next.code === 4401) configRef.current.onUnauthorized?.();
      },
      onOpen: () => configRef.current.onOpen?.(latest.current) ?? [],
    });
    socket.current = instance;
    instance.start();
    return () => {
      instance.stop();
      socket.current = null;
    };
  }, [active]);

  // Passing problems (sending too fast) go away once they stop repeating.
  const hasNotices = notices.length > 0;
  useEffect(() => {
    if (!hasNotices) return;
    const handle = setInterval(() => notify({ kind: "tick", now: Date.now() }), TRANSIENT_MS / 4);
    return () => clearInterval(handle);
  }, [hasNotices]);

  return [
    state,
    {
      dispatch,
      send: (message) => socket.current?.send(message) ?? false,
      sendBinary: (data) => socket.current?.sendBinary(data) ?? false,
      status,
      notices,
      dismissNotice: (key) => notify({ kind: "dismiss", key }),
      chatReceipts,
    },
  ];
}
