import type { LiveCall } from "../lib/protocol";
import { CALL_STATUS, callClock } from "../state/supervisor";
import { StatusPill } from "./StatusPill";
import { Timer } from "./Timer";

interface LiveCallsTableProps {
  calls: LiveCall[];
  watchedId: string | null;
  onWatch: (callId: string) => void;
}

/** Every call not yet ended: its state, who is on it, and for how long. A row opens the call. */
export function LiveCallsTable({ calls, watchedId, onWatch }: LiveCallsTableProps) {
  if (calls.length === 0) return <p className="muted empty">No calls right now.</p>;
  return (
    <div className="table-scroll">
      <table className="table table-interactive">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Customer</th>
            <th scope="col">Agent</th>
            <th scope="col">Time</th>
            <th scope="col">
              <span className="visually-hidden">Watch</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => {
            const status = CALL_STATUS[call.status];
            const clock = callClock(call);
            const selected = call.call_id === watchedId;
            return (
              <tr key={call.call_id} className={selected ? "selected" : ""} onClick={() => onWatch(call.call_id)}>
                <td>
                  <StatusPill tone={status.tone}>{status.label}</StatusPill>
                </td>
                <td>
                  {call.customer_name} <span className="badge">{call.channel === "phone" ? "Phone" : "Web"}</span>
                </td>
                <td>{call.agent_name ?? <span className="muted">—</span>}</td>
                <td>
                  <Timer since={clock.since} label={clock.label} />
                </td>
                <td className="cell-action">
                  <button
                    type="button"
                    className={`button button-small ${selected ? "button-selected" : ""}`}
                    aria-pressed={selected}
                    onClick={(event) => {
                      event.stopPropagation();
                      onWatch(call.call_id);
                    }}
                    aria-label={`${selected ? "Watching" : "Watch"} the call with ${call.customer_name}`}
                  >
                    {selected ? "Watching" : "Watch"}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
