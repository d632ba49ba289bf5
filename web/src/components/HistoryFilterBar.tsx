import { useEffect, useState, type FormEvent } from "react";
import { CHANNELS, DISPOSITIONS } from "../state/dashboard";
import { END_REASONS, EMPTY_HISTORY_FILTERS, SENTIMENT_LEVELS, SORTS, type HistoryFilters, type HistorySort } from "../state/history";

interface HistoryFilterBarProps {
  filters: HistoryFilters;
  /** Agents to choose from; absent for agents, who only ever see their own calls. */
  agents: { id: number; name: string }[] | null;
  onChange: (filters: HistoryFilters) => void;
}

interface Choice {
  value: string;
  label: string;
}

function Select(props: { id: string; label: string; any: string; value: string; choices: Choice[]; onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        {props.any && <option value="">{props.any}</option>}
        {props.choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The history's filters: lists and dates apply at once, the words and the customer on Search. */
export function HistoryFilterBar({ filters, agents, onChange }: HistoryFilterBarProps) {
  const [words, setWords] = useState(filters.q);
  const [customer, setCustomer] = useState(filters.customer);
  // The address can change under the form (back button, Clear): show what is applied.
  useEffect(() => setWords(filters.q), [filters.q]);
  useEffect(() => setCustomer(filters.customer), [filters.customer]);

  const set = (change: Partial<HistoryFilters>) => onChange({ ...filters, ...change });
  const agentChoices = (agents ?? []).map((agent) => ({ value: String(agent.id), label: agent.name }));
  if (filters.agentId && !agentChoices.some((choice) => choice.value === filters.agentId)) {
    agentChoices.push({ value: filters.agentId, label: `Agent #${filters.agentId}` });
  }

  function search(event: FormEvent) {
    event.preventDefault();
    set({ q: words.trim(), customer: customer.trim() });
  }

  return (
    <form className="history-filters" aria-label="History filters" onSubmit={search}>
      <div className="history-search">
        <div className="field">
          <label htmlFor="history-q">Words said</label>
          <input id="history-q" type="search" value={words} maxLength={200} placeholder="e.g. refund parcel" onChange={(event) => setWords(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="history-customer">Customer</label>
          <input id="history-customer" type="search" value={customer} maxLength={128} placeholder="Name, email or phone" onChange={(event) => setCustomer(event.target.value)} />
        </div>
        <button type="submit" className="button button-primary">
          Search
        </button>
        <button type="button" className="button" onClick={() => onChange(EMPTY_HISTORY_FILTERS)}>
          Clear filters
        </button>
      </div>
      <div className="filter-bar">
        <div className="field">
          <label htmlFor="history-from">From</label>
          <input id="history-from" type="date" value={filters.from} max={filters.to || undefined} onChange={(event) => set({ from: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="history-to">To</label>
          <input id="history-to" type="date" value={filters.to} min={filters.from || undefined} onChange={(event) => set({ to: event.target.value })} />
        </div>
        {agents && <Select id="history-agent" label="Agent" any="All agents" value={filters.agentId} choices={agentChoices} onChange={(agentId) => set({ agentId })} />}
        <Select id="history-channel" label="Channel" any="All channels" value={filters.channel} choices={CHANNELS} onChange={(channel) => set({ channel })} />
        <Select id="history-disposition" label="Disposition" any="All dispositions" value={filters.disposition} choices={DISPOSITIONS} onChange={(disposition) => set({ disposition })} />
        <Select id="history-end" label="End" any="Any end" value={filters.endReason} choices={END_REASONS} onChange={(endReason) => set({ endReason })} />
        <Select id="history-sentiment" label="Lowest sentiment" any="Any sentiment" value={filters.sentiment} choices={SENTIMENT_LEVELS} onChange={(sentiment) => set({ sentiment })} />
        <Select
          id="history-alert"
          label="Sentiment alert"
          any="With or without"
          value={filters.hadAlert}
          choices={[
            { value: "true", label: "Had an alert" },
            { value: "false", label: "No alert" },
          ]}
          onChange={(hadAlert) => set({ hadAlert })}
        />
        <Select id="history-sort" label="Sort" any="" value={filters.sort} choices={SORTS} onChange={(sort) => set({ sort: sort as HistorySort })} />
      </div>
    </form>
  );
}
