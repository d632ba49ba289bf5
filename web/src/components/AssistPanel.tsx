import { AISuggestionPanel, CustomerInfoCard, SentimentTrend } from "@earshot/ui";
import { useState, type FormEvent } from "react";
import { ApiError, api, type Article, type CustomerMatch } from "../lib/api";
import type { ClientMessage } from "../lib/protocol";
import type { CallView } from "../state/call";
import { useShortcut } from "./Shortcuts";

interface AssistPanelProps {
  call: CallView;
  send: (message: ClientMessage) => boolean;
  /** The agent used a suggestion: its words go to the message box. */
  onUseSuggestion?: (text: string) => void;
}

/** The people's names of suggestion actions (agent console, supervisor view). */
export const ACTION_LABEL: Record<string, string> = {
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
export function AssistPanel({ call, send, onUseSuggestion }: AssistPanelProps) {
  const feedback = (suggestionId: string, accepted: boolean) =>
    send({ type: "suggestion_feedback", call_id: call.callId!, suggestion_id: suggestionId, accepted });
  const use = (suggestion: { suggestion_id: string; suggestion: string }) => {
    feedback(suggestion.suggestion_id, true);
    onUseSuggestion?.(suggestion.suggestion);
  };
  const current = call.suggestion;
  useShortcut("u", () => current && use(current), Boolean(call.callId && current && call.suggestionState === "new"));
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
  // Two columns on a wide screen (what to do | who is calling), so the caller's record is in view
  // beside the suggestion rather than below the fold; one column, in that order, when narrow.
  return (
    <div className="assist assist-in-call">
      <div className="assist-column">
        {call.alert && (
          <div className="alert-banner" role="alert">
            <strong>Sentiment alert:</strong> {call.alert.reason}
          </div>
        )}
        {call.suggestion && (
          <AISuggestionPanel
            suggestion={call.suggestion}
            state={call.suggestionState}
            history={call.suggestions}
            actionLabels={ACTION_LABEL}
            onUse={use}
            useShortcut="U"
            onDismiss={(dismissed) => feedback(dismissed.suggestion_id, false)}
          />
        )}
        <section className="card" aria-labelledby="sentiment-title">
          <h2 id="sentiment-title">Customer sentiment</h2>
          <SentimentTrend points={call.sentiments} />
        </section>
      </div>
      <div className="assist-column">
        <CustomerPanel call={call} send={send} />
        <KnowledgeSearch />
      </div>
    </div>
  );
}

function CustomerPanel({ call, send }: AssistPanelProps) {
  const context = call.customer;
  const attach = (id: number) => send({ type: "attach_customer", call_id: call.callId, customer_id: id });
  return (
    <CustomerInfoCard
      customer={context?.customer ?? null}
      loading={!context}
      notice={
        context?.status === "ambiguous" ? (
          <CandidateList title="Several customers match — pick the caller:" candidates={context.candidates} onPick={attach} />
        ) : (
          <p className="muted">No customer record matches this caller. Search below to attach one.</p>
        )
      }
      ticketAction={(ticket) =>
        context?.customer && (
          <button className="link-button" onClick={() => void api.updateTicket(context.customer!.id, ticket.id, { status: "closed" })}>
            Close
          </button>
        )
      }
    >
      {context?.customer && <NewTicketForm customerId={context.customer.id} />}
      <CustomerSearch onPick={attach} />
    </CustomerInfoCard>
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
    <form className="inline-form inline-form-stacked" onSubmit={submit} role="search">
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
