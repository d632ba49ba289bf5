// Who the caller is: account, contact, value, recent orders and open tickets, with slots for the
// host app's own actions (closing a ticket, a new-ticket form, a customer search).
import type { ReactNode } from "react";
import type { CustomerRecord, CustomerTicket } from "./types.js";

export interface CustomerInfoCardProps {
  customer: CustomerRecord | null;
  /** Still looking the caller up. */
  loading?: boolean;
  /** Shown when there is no customer and nothing is loading (no match, several matches). */
  notice?: ReactNode;
  error?: string | null;
  title?: string;
  /** An id for the heading, unique on the page. */
  headingId?: string;
  /** An action on one open ticket (e.g. a Close button). */
  ticketAction?: (ticket: CustomerTicket) => ReactNode;
  /** Under the record: forms and searches of the host app. */
  children?: ReactNode;
  /** Currency formatting of amounts. */
  formatMoney?: (amount: number) => string;
}

const dollars = (amount: number) => `$${amount.toFixed(2)}`;

export function CustomerInfoCard(props: CustomerInfoCardProps) {
  const { customer, loading = false, title = "Customer", headingId = "customer-title" } = props;
  return (
    <section className="card customer-card" aria-labelledby={headingId} aria-busy={loading || undefined}>
      <h2 id={headingId}>{title}</h2>
      {props.error && (
        <p className="form-error" role="alert">
          {props.error}
        </p>
      )}
      {!customer && loading && <p className="muted">Looking up the caller…</p>}
      {!customer && !loading && props.notice}
      {customer && <CustomerRecordView {...props} customer={customer} />}
      {props.children}
    </section>
  );
}

function CustomerRecordView(props: CustomerInfoCardProps & { customer: CustomerRecord }) {
  const { customer } = props;
  const money = props.formatMoney ?? dollars;
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
        <dd>{money(customer.lifetime_value)}</dd>
      </dl>
      <h3>Recent orders</h3>
      {customer.recent_orders.length === 0 ? (
        <p className="muted small">No orders.</p>
      ) : (
        <ul className="compact-list">
          {customer.recent_orders.map((order) => (
            <li key={order.number}>
              <strong>#{order.number}</strong> {order.items} · {money(order.total)} · <span className="badge">{order.status}</span>
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
              {props.ticketAction?.(ticket)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
