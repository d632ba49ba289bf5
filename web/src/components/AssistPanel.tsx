import { useState, type FormEvent } from "react";
import { ApiError, api, type Article, type CustomerMatch } from "../lib/api";
import type { ClientMessage, CustomerContext, SuggestionEvent } from "../lib/protocol";
import type { CallView } from "../state/call";
import { SentimentTrend } from "./SentimentTrend";

interface AssistPanelProps {
  call: CallView;
  send: (message: ClientMessage) => boolean;
}

const ACTION_LABEL: Record<string, string> = {
  ask_question: "Ask a question",
  verify_identity: "Verify identity",
  offer_solution: "Offer a solution",
  offer_refund: "Offer a refund",
  offer_replacement: "Offer a replacement",
  track_order: "Track the order",
  troubleshoot: "Troubleshoot",
  explain_billing: "Explain billing",
  reset_password: "Reset password",
  update_account: "Update the account",
  cancel_service: "Cancel the service",
  retention_offer: "Retention offer",
  escalate: "Escalate",
  empathize: "Empathize",
  close_call: "Close the call",
};

/** The agent's side panel: who the caller is, how they feel, what to do next (never shown to customers). */
export function AssistPanel({ call, send }: AssistPanelProps) {
  if (!call.callId) {
    return (
      <div className="assist">
        <section className="card">
          <h2>Assist</h2>
          <p className="muted">During a call, the caller's account, live suggestions and their mood appear here.</p>
        </section>
        <KnowledgeSearch />
      </div>
    );
  }
  return (
    <div className="assist">
      {call.alert && (
        <div className="alert-banner" role="alert">
          <strong>Sentiment alert:</strong> {call.alert.reason}
        </div>
      )}
      {call.suggestion && (
        <SuggestionCard
          suggestion={call.suggestion}
          state={call.suggestionState}
          onFeedback={(accepted) =>
            send({ type: "suggestion_feedback", call_id: call.callId, suggestion_id: call.suggestion!.suggestion_id, accepted })
          }
        />
      )}
      <section className="card" aria-labelledby="sentiment-title">
        <h2 id="sentiment-title">Customer sentiment</h2>
        <SentimentTrend points={call.sentiments} />
      </section>
      <CustomerPanel call={call} send={send} />
      <KnowledgeSearch />
    </div>
  );
}

function SuggestionCard(props: { suggestion: SuggestionEvent; state: string; onFeedback: (accepted: boolean) => void }) {
  const { suggestion } = props;
  return (
    <section className="card suggestion" aria-labelledby="suggestion-title" aria-live="polite">
      <p className="eyebrow">
        Suggested next step · <span className="action-tag">{ACTION_LABEL[suggestion.action] ?? suggestion.action}</span>
      </p>
      <h2 id="suggestion-title" className="suggestion-text">
        {suggestion.suggestion}
      </h2>
      <p className="muted small">{suggestion.reasoning}</p>
      <div className="confidence" aria-label={`Confidence ${Math.round(suggestion.confidence * 100)}%`}>
        <div className="confidence-fill" style={{ width: `${Math.round(suggestion.confidence * 100)}%` }} />
      </div>
      <p className="muted small">
        Confidence {Math.round(suggestion.confidence * 100)}% · answers “{suggestion.utterance}”
      </p>
      {suggestion.sources.length > 0 && (
        <p className="small">
          Sources: {suggestion.sources.map((source) => source.title).join(", ")}
        </p>
      )}
      {props.state === "new" ? (
        <div className="actions">
          <button className="button button-primary button-small" onClick={() => props.onFeedback(true)}>
            Use it
          </button>
          <button className="button button-small" onClick={() => props.onFeedback(false)}>
            Dismiss
          </button>
        </div>
      ) : (
        <p className="muted small">{props.state === "accepted" ? "Used" : "Dismissed"}</p>
      )}
    </section>
  );
}

function CustomerPanel({ call, send }: AssistPanelProps) {
  const context = call.customer;
  return (
    <section className="card" aria-labelledby="customer-title">
      <h2 id="customer-title">Customer</h2>
      {!context && <p className="muted">Looking up the caller…</p>}
      {context?.status === "unknown" && <p className="muted">No customer record matches this caller. Search below to attach one.</p>}
      {context?.status === "ambiguous" && (
        <CandidateList title="Several customers match — pick the caller:" candidates={context.candidates} onPick={(id) => send({ type: "attach_customer", call_id: call.callId, customer_id: id })} />
      )}
      {context?.customer && <CustomerDetails customer={context.customer} />}
      <CustomerSearch onPick={(id) => send({ type: "attach_customer", call_id: call.callId, customer_id: id })} />
    </section>
  );
}

function CustomerDetails({ customer }: { customer: CustomerContext }) {
  return (
    <div className="customer">
      <p className="customer-name">
        {customer.name} <span className={`badge badge-${customer.status}`}>{customer.status}</span>
      </p>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{customer.email ?? "—"}</dd>
        <dt>Phone</dt>
        <dd>{customer.phone ?? "—"}</dd>
        <dt>Lifetime value</dt>
        <dd>${customer.lifetime_value.toFixed(2)}</dd>
      </dl>
      <h3>Recent orders</h3>
      {customer.recent_orders.length === 0 ? (
        <p className="muted small">No orders.</p>
      ) : (
        <ul className="compact-list">
          {customer.recent_orders.map((order) => (
            <li key={order.number}>
              <strong>#{order.number}</strong> {order.items} · ${order.total.toFixed(2)} · <span className="badge">{order.status}</span>
              {order.tracking_number && (
                <span className="muted small">
                  {" "}
                  {order.carrier} {order.tracking_number}
                  {order.expected_delivery ? `, due ${order.expected_delivery}` : ""}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3>Open tickets</h3>
      {customer.open_tickets.length === 0 ? (
        <p className="muted small">No open tickets.</p>
      ) : (
        <ul className="compact-list">
          {customer.open_tickets.map((ticket) => (
            <li key={ticket.id}>
              {ticket.subject} <span className="badge">{ticket.status}</span> <span className="badge">{ticket.priority}</span>
              <button className="link-button" onClick={() => void api.updateTicket(customer.id, ticket.id, { status: "closed" })}>
                Close
              </button>
            </li>
          ))}
        </ul>
      )}
      <NewTicketForm customerId={customer.id} />
    </div>
  );
}

function NewTicketForm({ customerId }: { customerId: number }) {
  const [subject, setSubject] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await api.createTicket(customerId, { subject: subject.trim() });
      setSubject("");
      setMessage("Ticket created.");
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : "Could not create the ticket.");
    }
  }
  return (
    <form className="inline-form" onSubmit={submit}>
      <label htmlFor="ticket-subject" className="visually-hidden">
        New ticket subject
      </label>
      <input id="ticket-subject" placeholder="New ticket subject" value={subject} maxLength={256} onChange={(e) => setSubject(e.target.value)} />
      <button className="button button-small" disabled={!subject.trim()}>
        Create ticket
      </button>
      {message && <p className="small muted" role="status">{message}</p>}
    </form>
  );
}

function CandidateList(props: { title: string; candidates: CustomerMatch[]; onPick: (id: number) => void }) {
  return (
    <div>
      <p className="small">{props.title}</p>
      <ul className="compact-list">
        {props.candidates.map((candidate) => (
          <li key={candidate.id}>
            <button className="link-button" onClick={() => props.onPick(candidate.id)}>
              {candidate.name}
            </button>{" "}
            <span className="muted small">{candidate.email ?? candidate.phone ?? ""}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function CustomerSearch({ onPick }: { onPick: (id: number) => void }) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<CustomerMatch[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      setResults(await api.searchCustomers(query.trim()));
      setError(null);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Search failed.");
    }
  }
  return (
    <form className="inline-form" onSubmit={submit} role="search">
      <label htmlFor="customer-search" className="visually-hidden">
        Search customers
      </label>
      <input id="customer-search" placeholder="Name, email, phone or order #" value={query} onChange={(e) => setQuery(e.target.value)} />
      <button className="button button-small" disabled={!query.trim()}>
        Search
      </button>
      {error && <p className="form-error">{error}</p>}
      {results && (results.length ? <CandidateList title="Results:" candidates={results} onPick={onPick} /> : <p className="muted small">No match.</p>)}
    </form>
  );
}

function KnowledgeSearch() {
  const [query, setQuery] = useState("");
  const [articles, setArticles] = useState<Article[] | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setArticles(await api.searchKnowledge(query.trim()).catch(() => []));
  }
  return (
    <section className="card" aria-labelledby="kb-title">
      <h2 id="kb-title">Knowledge base</h2>
      <form className="inline-form" onSubmit={submit} role="search">
        <label htmlFor="kb-search" className="visually-hidden">
          Search articles
        </label>
        <input id="kb-search" placeholder="e.g. refund window" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button className="button button-small" disabled={!query.trim()}>
          Search
        </button>
      </form>
      {articles && articles.length === 0 && <p className="muted small">No article matches.</p>}
      {articles && (
        <ul className="compact-list">
          {articles.map((article) => (
            <li key={article.id}>
              <strong>{article.title}</strong>
              <p className="small muted">{article.snippet}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
