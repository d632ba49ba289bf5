import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { AppHeader } from "../components/AppHeader";
import { HistoryFilterBar } from "../components/HistoryFilterBar";
import { HistoryTable } from "../components/HistoryTable";
import { hasRole, useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";
import { filtersFromAddress, filtersToAddress, historyCsvHref, type HistoryFilters } from "../state/history";
import { useHistory } from "../state/useHistory";

/** Finished and live calls, filtered and searched: supervisors and admins see every call, agents their own. */
export function HistoryPage() {
  useDocumentTitle("Call history");
  const { user } = useAuth();
  const [address, setAddress] = useSearchParams();
  const filters = useMemo(() => filtersFromAddress(address), [address]);
  const history = useHistory(filters);
  const seesEveryone = hasRole(user, "supervisor");
  const filtered = filtersToAddress(filters).toString() !== "";

  function change(next: HistoryFilters) {
    const nextAddress = filtersToAddress(next);
    // Searching again for the same thing asks the server again (new calls may match now).
    if (nextAddress.toString() === filtersToAddress(filters).toString()) history.reload();
    else setAddress(nextAddress);
  }

  return (
    <div className="console">
      <AppHeader />
      <main className="history">
        <div className="section-header">
          <div>
            <h1>Call history</h1>
            <p className="muted small">
              {seesEveryone ? "Every call. Open one to replay it as it happened." : "The calls you took. Open one to replay it as it happened."}
            </p>
          </div>
          <a className="button button-small" href={historyCsvHref(filters)} download aria-label="Download these calls as CSV">
            CSV
          </a>
        </div>
        <section className="card" aria-label="Filters">
          <HistoryFilterBar filters={filters} agents={seesEveryone ? history.agents : null} onChange={change} />
        </section>
        <section className="card" aria-labelledby="history-results" aria-busy={history.loading}>
          <h2 id="history-results" className="visually-hidden">
            Calls
          </h2>
          {history.error && (
            <div className="notice notice-error" role="alert">
              {history.error}{" "}
              <button type="button" className="button button-small" onClick={history.reload}>
                Try again
              </button>
            </div>
          )}
          {history.items.length > 0 && <HistoryTable calls={history.items} />}
          {history.loading && (
            <p className="muted" role="status">
              Loading calls…
            </p>
          )}
          {!history.loading && !history.error && history.items.length === 0 && (
            <p className="muted empty" role="status">
              {filtered ? "No calls match these filters." : "No calls yet."}
            </p>
          )}
          {history.nextCursor && !history.loading && (
            <div className="load-more">
              <button type="button" className="button" onClick={history.loadMore}>
                Show more calls
              </button>
            </div>
          )}
        </section>
      </main>
    </div>
  );
}
