// Runs a CallSocket for a page: feeds server messages to a reducer and tracks the connection.
import { useEffect, useReducer, useRef, useState } from "react";
import type { ClientMessage, ServerMessage } from "../lib/protocol";
import { CallSocket, type ConnectionStatus } from "../lib/ws";

export interface SocketHandle<A = ServerMessage> {
  /** Applies a local action to the same reducer (e.g. "now watching call X"). */
  dispatch: (action: A) => void;
  send: (message: ClientMessage) => boolean;
  sendBinary: (data: ArrayBuffer) => boolean;
  status: ConnectionStatus;
  errors: string[];
  dismissError: (index: number) => void;
}

export function useCallSocket<S, A = ServerMessage>(
  path: ((state: S) => string) | null,
  reducer: (state: S, action: A | ServerMessage) => S,
  initial: S,
  onOpen?: (state: S) => ClientMessage[],
): [S, SocketHandle<A>] {
  const [state, dispatch] = useReducer(reducer, initial);
  const [status, setStatus] = useState<ConnectionStatus>({ state: "connecting" });
  const [errors, setErrors] = useState<string[]>([]);
  const socket = useRef<CallSocket | null>(null);
  const latest = useRef(state);
  latest.current = state;
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  const pathRef = useRef(path);
  pathRef.current = path;
  const active = path !== null;

  useEffect(() => {
    if (!active) return;
    const instance = new CallSocket({
      url: () => pathRef.current!(latest.current),
      onMessage: (message) => {
        if (message.type === "error") {
          setErrors((previous) => [...previous.slice(-2), message.message]);
        }
        dispatch(message);
      },
      onStatus: setStatus,
      onOpen: () => openRef.current?.(latest.current) ?? [],
    });
    socket.current = instance;
    instance.start();
    return () => {
      instance.stop();
      socket.current = null;
    };
  }, [active]);

  return [
    state,
    {
      dispatch,
      send: (message) => socket.current?.send(message) ?? false,
      sendBinary: (data) => socket.current?.sendBinary(data) ?? false,
      status,
      errors,
      dismissError: (index) => setErrors((previous) => previous.filter((_, i) => i !== index)),
    },
  ];
}
