// The supervisor's "recent calls": ended calls from the REST API, refreshed as live calls change.
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, type CallSummary } from "../lib/api";
import type { LiveCall } from "../lib/protocol";

const REFRESH_MS = 15_000;
const LIMIT = 20;

export interface RecentCalls {
  calls: CallSummary[];
  error: string | null;
  refresh: () => void;
}

export function useRecentCalls(live: LiveCall[]): RecentCalls {
  const [calls, setCalls] = useState<CallSummary[]>([]);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    api
      .calls("ended", LIMIT)
      .then((loaded) => {
        setCalls(loaded);
        setError(null);
      })
      .catch((caught) => setError(caught instanceof ApiError ? caught.message : "Could not load recent calls."));
  }, []);

  // A call leaving the live list has just ended; its wrap-up comes later, hence the timer too.
  const liveKey = live.map((call) => call.call_id).join(",");
  useEffect(refresh, [refresh, liveKey]);
  useEffect(() => {
    const handle = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(handle);
  }, [refresh]);

  return { calls, error, refresh };
}
