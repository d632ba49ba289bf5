import type { MetricsInterval } from "../lib/api";
import { CHANNELS, DISPOSITIONS, INTERVALS, type DashboardFilters } from "../state/dashboard";

interface MetricsFilterBarProps {
  filters: DashboardFilters;
  agents: { id: number; name: string }[];
  onChange: (filters: DashboardFilters) => void;
}

/** The dashboard's period, interval and filters; every change applies at once. */
export function MetricsFilterBar({ filters, agents, onChange }: MetricsFilterBarProps) {
  const set = (change: Partial<DashboardFilters>) => onChange({ ...filters, ...change });
  return (
    <form className="filter-bar" aria-label="Dashboard filters" onSubmit={(event) => event.preventDefault()}>
      <div className="field">
        <label htmlFor="metrics-from">From</label>
        <input id="metrics-from" type="date" value={filters.from} max={filters.to || undefined} required onChange={(event) => set({ from: event.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="metrics-to">To</label>
        <input id="metrics-to" type="date" value={filters.to} min={filters.from || undefined} required onChange={(event) => set({ to: event.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="metrics-interval">Interval</label>
        <select id="metrics-interval" value={filters.interval} onChange={(event) => set({ interval: event.target.value as MetricsInterval })}>
          {INTERVALS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="metrics-agent">Agent</label>
        <select id="metrics-agent" value={filters.agentId} onChange={(event) => set({ agentId: event.target.value })}>
          <option value="">All agents</option>
          {agents.map((agent) => (
            <option key={agent.id} value={String(agent.id)}>
              {agent.name}
            </option>
          ))}
          {filters.agentId && !agents.some((agent) => String(agent.id) === filters.agentId) && (
            <option value={filters.agentId}>Agent #{filters.agentId}</option>
          )}
        </select>
      </div>
      <div className="field">
        <label htmlFor="metrics-channel">Channel</label>
        <select id="metrics-channel" value={filters.channel} onChange={(event) => set({ channel: event.target.value })}>
          <option value="">All channels</option>
          {CHANNELS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="metrics-disposition">Disposition</label>
        <select id="metrics-disposition" value={filters.disposition} onChange={(event) => set({ disposition: event.target.value })}>
          <option value="">All dispositions</option>
          {DISPOSITIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}
