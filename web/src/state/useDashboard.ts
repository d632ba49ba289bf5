// The dashboard's data: KPIs, series and tables for the filters, the KPI definitions, and open alerts.
import { useCallback, useEffect, useRef, useState } from "react";
import {
  ApiError,
  metricsApi,
  type AgentRow,
  type KpiDefinition,
  type MetricAlert,
  type MetricsSummary,
  type ReasonRow,
  type TimeseriesPoint,
} from "../lib/api";
import { filtersProblem, mergeAgentOptions, metricsQuery, type DashboardFilters } from "./dashboard";
import { includesToday } from "./floor";


export interface DashboardData {
  summary: MetricsSummary | null;
  points: TimeseriesPoint[];
  agents: AgentRow[];
  reasons: ReasonRow[];
  /** The filters the data above answers (the charts need its range and interval). */
  loadedFor: DashboardFilters | null;
}

export interface Dashboard {
  data: DashboardData;
  definitions: KpiDefinition[];
  alerts: MetricAlert[];
  agentOptions: { id: number; name: string }[];
  loading: boolean;
  error: string | null;
  refresh: () => void;
  acknowledge: (id: number) => Promise<void>;
}

const EMPTY: DashboardData = { summary: null, points: [], agents: [], reasons: [], loadedFor: null };

function message(caught: unknown, fallback: string): string {
  return caught instanceof ApiError ? caught.message : fallback;
}

/**
 * `liveKey` changes whenever the live floor says today's figures moved or an alert was raised:
 * a period that includes today is then loaded again (pushed, not polled).
 */
export function useDashboard(filters: DashboardFilters, liveKey = ""): Dashboard {
  const [data, setData] = useState<DashboardData>(EMPTY);
  const [definitions, setDefinitions] = useState<KpiDefinition[]>([]);
  const [alerts, setAlerts] = useState<MetricAlert[]>([]);
  const [agentOptions, setAgentOptions] = useState<{ id: number; name: string }[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  const query = metricsQuery(filters);
  const problem = filtersProblem(filters);

  const load = useCallback(async () => {
    if (problem) {
      setError(problem);
      setLoading(false);
      return;
    }
    const ticket = ++latest.current;
    setLoading(true);
    try {
      const [summary, points, agents, reasons, open] = await Promise.all([
        metricsApi.summary(query),
        metricsApi.timeseries(query),
        metricsApi.agents(query),
        metricsApi.reasons(query),
        metricsApi.alerts(),
      ]);
      if (ticket !== latest.current) return; // the filters changed while this was on its way
      setData({ summary, points, agents, reasons, loadedFor: filters });
      setAlerts(open);
      setAgentOptions((known) => mergeAgentOptions(known, agents));
      setError(null);
    } catch (caught) {
      if (ticket === latest.current) setError(message(caught, "Could not load the metrics."));
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
    // `query` and `problem` say everything `filters` does.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, problem]);

  useEffect(() => {
    void load();
  }, [load]);

  const live = includesToday(filters.from, filters.to, new Date());
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (liveKey && live) void loadRef.current();
  }, [liveKey, live]);

  useEffect(() => {
    metricsApi
      .definitions()
      .then(setDefinitions)
      .catch(() => undefined); // the tiles keep their own labels; the tooltips wait for the next visit
  }, []);

  const acknowledge = useCallback(async (id: number) => {
    try {
      await metricsApi.acknowledgeAlert(id);
      setAlerts((open) => open.filter((alert) => alert.id !== id));
    } catch (caught) {
      setError(message(caught, "Could not acknowledge the alert."));
    }
  }, []);

  return { data, definitions, alerts, agentOptions, loading, error, refresh: () => void load(), acknowledge };
}
