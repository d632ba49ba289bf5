import { Link } from "react-router-dom";
import { sentimentText, type HistoryItem } from "../state/history";
import { DISPOSITION } from "../state/supervisor";
import { StatusPill } from "./StatusPill";
import { formatDuration } from "./Timer";

const END_REASON: Record<string, string> = { hangup: "Hung up", dropped: "Dropped", abandoned: "Abandoned", shutdown: "Server shutdown" };

function talkTime(call: HistoryItem): string {
  if (!call.answered_at || !call.ended_at) return "—";
  return formatDuration(Date.parse(call.ended_at) - Date.parse(call.answered_at));
}

/** One row per call: when, who, how it went; the customer's name opens its replay. */
export function HistoryTable({ calls }: { calls: HistoryItem[] }) {
  return (
    <div className="table-scroll">
      <table className="table history-table">
        <thead>
          <tr>
            <th scope="col">Queued</th>
            <th scope="col">Customer</th>
            <th scope="col">Agent</th>
            <th scope="col">Channel</th>
            <th scope="col">Talk time</th>
            <th scope="col">End</th>
            <th scope="col">Disposition</th>
            <th scope="col">Lowest sentiment</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => {
            const disposition = call.disposition ? DISPOSITION[call.disposition] : null;
            return (
              <tr key={call.call_id}>
                <td>
                  <time dateTime={call.queued_at}>{new Date(call.queued_at).toLocaleString()}</time>
                </td>
                <td>
                  <Link to={`/history/${encodeURIComponent(call.call_id)}`} aria-label={`Open the call with ${call.customer_name}`}>
                    {call.customer_name}
                  </Link>
                </td>
                <td>{call.agent_name ?? <span className="muted">—</span>}</td>
                <td>{call.channel === "phone" ? "Phone" : "Web"}</td>
                <td className="numeric">{talkTime(call)}</td>
                <td>{END_REASON[call.end_reason ?? ""] ?? call.end_reason ?? call.status}</td>
                <td>{disposition ? <StatusPill tone={disposition.tone}>{disposition.label}</StatusPill> : <span className="muted">—</span>}</td>
                <td className="numeric">
                  {sentimentText(call.lowest_sentiment)}
                  {call.had_alert && (
                    <span className="badge badge-alert" title="A sentiment alert was raised in this call">
                      alert
                    </span>
                  )}
                </td>
                <td className="notes-cell">{call.summary || <span className="muted">—</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
