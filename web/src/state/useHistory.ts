// Loads the call history for the page's filters: the first page on every change, more on demand.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../lib/api";
import { historyApi, type HistoryFilters, type HistoryItem } from "./history";

export interface HistoryState {
  items: HistoryItem[];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
  /** Every agent seen in the answers so far, for the agent filter. */
  agents: { id: number; name: string }[];
}

function errorText(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : "Could not load the call history.";
}

export function useHistory(filters: HistoryFilters): HistoryState & { loadMore: () => void; reload: () => void } {
  const [state, setState] = useState<HistoryState>({ items: [], nextCursor: null, loading: true, error: null, agents: [] });
  const [reloads, setReloads] = useState(0);
  // Answers to an older search are dropped: only the latest request may change the page.
  const latest = useRef(0);

  const remember = (agents: HistoryState["agents"], items: HistoryItem[]) => {
    const known = new Map(agents.map((agent) => [agent.id, agent.name]));
    for (const item of items) if (item.agent_id !== null && item.agent_name) known.set(item.agent_id, item.agent_name);
    return [...known].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  };

  useEffect(() => {
    const request = ++latest.current;
    setState((previous) => ({ ...previous, items: [], nextCursor: null, loading: true, error: null }));
    historyApi.page(filters, null).then(
      (page) => {
        if (request !== latest.current) return;
        setState((previous) => ({ items: page.items, nextCursor: page.next_cursor, loading: false, error: null, agents: remember(previous.agents, page.items) }));
      },
      (caught: unknown) => {
        if (request === latest.current) setState((previous) => ({ ...previous, loading: false, error: errorText(caught) }));
      },
    );
  }, [filters, reloads]);

  const loadMore = useCallback(() => {
    const cursor = state.nextCursor;
    if (!cursor || state.loading) return;
    const request = ++latest.current;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    historyApi.page(filters, cursor).then(
      (page) => {
        if (request !== latest.current) return;
        setState((previous) => ({
          items: [...previous.items, ...page.items],
          nextCursor: page.next_cursor,
          loading: false,
          error: null,
          agents: remember(previous.agents, page.items),
        }));
      },
      (caught: unknown) => {
        if (request === latest.current) setState((previous) => ({ ...previous, loading: false, error: errorText(caught) }));
      },
    );
  }, [filters, state.nextCursor, state.loading]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);
  return { ...state, loadMore, reload };
}
