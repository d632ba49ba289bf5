import type { CallSummaryEvent, CustomerContextEvent } from "../lib/protocol";
import type { CallView, SuggestionRecord } from "../state/call";
import { DISPOSITION } from "../state/supervisor";
import { SentimentTrend } from "@earshot/ui";
import { StatusPill } from "./StatusPill";

const USED: Record<SuggestionRecord["state"], string> = { new: "not acted on", accepted: "used", dismissed: "dismissed" };

/** What the agent's side panel held at this moment of the replay: suggestions, sentiment, the customer. */
export function ReplayAssist({ view }: { view: CallView }) {
  return (
    <div className="assist">
      {view.alert && (
        <div className="alert-banner" role="alert">
          <strong>Sentiment alert:</strong> {view.alert.reason}
        </div>
      )}
      <section className="card" aria-labelledby="replay-suggestions">
        <h2 id="replay-suggestions">Suggestions</h2>
        {view.suggestions.length === 0 ? (
          <p className="muted small">No suggestion yet.</p>
        ) : (
          <ol className="replay-suggestions">
            {view.suggestions.map(({ suggestion, state }) => (
              <li key={suggestion.suggestion_id} data-state={state}>
                <span className="replay-suggestion-text">{suggestion.suggestion}</span>{" "}
                <span className={`badge badge-${state}`}>{USED[state]}</span>
                <span className="muted small"> · {Math.round(suggestion.confidence * 100)}% · {suggestion.reasoning}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section className="card" aria-labelledby="replay-sentiment">
        <h2 id="replay-sentiment">Customer sentiment</h2>
        <SentimentTrend points={view.sentiments} />
      </section>
      <CustomerCard context={view.customer} />
    </div>
  );
}

function CustomerCard({ context }: { context: CustomerContextEvent | null }) {
  const customer = context?.customer ?? null;
  return (
    <section className="card" aria-labelledby="replay-customer">
      <h2 id="replay-customer">Customer</h2>
      {!context ? (
        <p className="muted small">Not looked up yet.</p>
      ) : !customer ? (
        <p className="muted small">{context.status === "ambiguous" ? `${context.candidates.length} possible customers; none chosen.` : "No matching customer record."}</p>
      ) : (
        <>
          <p>
            <strong>{customer.name}</strong> <span className={`badge badge-${customer.status}`}>{customer.status}</span>
          </p>
          <p className="small muted">
            {[customer.email, customer.phone].filter(Boolean).join(" · ")}
            {" · "}lifetime value {customer.lifetime_value.toFixed(2)}
          </p>
          {customer.recent_orders.length > 0 && (
            <>
              <h3 className="small">Recent orders</h3>
              <ul className="small">
                {customer.recent_orders.map((order) => (
                  <li key={order.number}>
                    {order.number}: {order.status}
                  </li>
                ))}
              </ul>
            </>
          )}
          {customer.open_tickets.length > 0 && (
            <>
              <h3 className="small">Open tickets</h3>
              <ul className="small">
                {customer.open_tickets.map((ticket) => (
                  <li key={ticket.id}>
                    #{ticket.id} {ticket.subject} ({ticket.status})
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function trendText(value: number | null): string {
  return value === null ? "—" : value.toFixed(2);
}

/** The post-call summary and the agent's wrap-up, from the whole log. */
export function CallOutcome({ summary, view }: { summary: CallSummaryEvent | null; view: CallView }) {
  return (
    <section className="card call-outcome" aria-labelledby="outcome-title">
      <h2 id="outcome-title">Summary</h2>
      {summary ? (
        <dl className="summary-list">
          <dt>Reason</dt>
          <dd>{summary.reason}</dd>
          <dt>Done</dt>
          <dd>{summary.actions.length ? summary.actions.join("; ") : "—"}</dd>
          <dt>Outcome</dt>
          <dd>{summary.outcome}</dd>
          <dt>Follow-ups</dt>
          <dd>{summary.follow_ups.length ? summary.follow_ups.join("; ") : "None"}</dd>
          <dt>Sentiment</dt>
          <dd>
            {trendText(summary.sentiment_start)} → {trendText(summary.sentiment_end)}
          </dd>
        </dl>
      ) : (
        <p className="muted small">No summary was logged for this call.</p>
      )}
      <h3 className="small">Wrap-up</h3>
      <p>
        {view.disposition ? (
          <StatusPill tone={DISPOSITION[view.disposition].tone}>{DISPOSITION[view.disposition].label}</StatusPill>
        ) : (
          <span className="muted">Not filed.</span>
        )}
      </p>
      {view.wrapUpNotes && <p className="notes">{view.wrapUpNotes}</p>}
    </section>
  );
}
