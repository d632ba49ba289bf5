import type { CallSummary } from "../lib/api";
import { DISPOSITION } from "../state/supervisor";
import { StatusPill } from "./StatusPill";
import { formatDuration } from "./Timer";

const END_REASON: Record<string, string> = { hangup: "Hung up", dropped: "Dropped", abandoned: "Abandoned", shutdown: "Server shutdown" };

function duration(call: CallSummary): string {
  if (!call.answered_at || !call.ended_at) return "—";
  return formatDuration(Date.parse(call.ended_at) - Date.parse(call.answered_at));
}

interface RecentCallsTableProps {
  calls: CallSummary[];
  /** The call whose history is open, if any. */
  openId: string | null;
  onOpen: (callId: string) => void;
}

/** Finished calls, newest first, with how they ended and the agent's disposition. A row opens its transcript. */
export function RecentCallsTable({ calls, openId, onOpen }: RecentCallsTableProps) {
  if (calls.length === 0) return <p className="muted empty">No finished calls yet.</p>;
  return (
    <div className="table-scroll">
      <table className="table table-interactive">
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Agent</th>
            <th scope="col">Ended</th>
            <th scope="col">Talk time</th>
            <th scope="col">End</th>
            <th scope="col">Disposition</th>
            <th scope="col">Notes</th>
            <th scope="col">
              <span className="visually-hidden">Transcript</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => {
            const disposition = call.disposition ? DISPOSITION[call.disposition] : null;
            return (
              <tr key={call.call_id} className={call.call_id === openId ? "selected" : ""} onClick={() => onOpen(call.call_id)}>
                <td>{call.customer_name}</td>
                <td>{call.agent_name ?? <span className="muted">—</span>}</td>
                <td>{call.ended_at ? new Date(call.ended_at).toLocaleTimeString() : "—"}</td>
                <td className="numeric">{duration(call)}</td>
                <td>{END_REASON[call.end_reason ?? ""] ?? call.end_reason ?? "—"}</td>
                <td>
                  {disposition ? (
                    <StatusPill tone={disposition.tone}>{disposition.label}</StatusPill>
                  ) : (
                    <span className="muted">{call.answered_at ? "Wrapping up" : "—"}</span>
                  )}
                </td>
                <td className="notes-cell">{call.notes || <span className="muted">—</span>}</td>
                <td className="cell-action">
                  <button
                    type="button"
                    className="button button-small"
                    aria-label={`Read the call with ${call.customer_name}`}
                    onClick={(event) => {
                      event.stopPropagation();
                      onOpen(call.call_id);
                    }}
                  >
                    Read
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
