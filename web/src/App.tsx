import { lazy, Suspense, type ReactNode } from "react";
import { AppHeader } from "./components/AppHeader";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import type { Role } from "./lib/api";
import { hasRole, homeFor, useAuth } from "./lib/auth";
import { useDocumentTitle } from "./lib/useDocumentTitle";
import { CallPage } from "./pages/CallPage";

// Each staff page is its own chunk, loaded when opened: a customer on /call downloads none of the
// consoles' code, and an agent not the dashboard's charting library.
const AdminUsersPage = lazy(() => import("./pages/AdminUsersPage").then((module) => ({ default: module.AdminUsersPage })));
const AgentPage = lazy(() => import("./pages/AgentPage").then((module) => ({ default: module.AgentPage })));
const DashboardPage = lazy(() => import("./pages/DashboardPage").then((module) => ({ default: module.DashboardPage })));
const HistoryPage = lazy(() => import("./pages/HistoryPage").then((module) => ({ default: module.HistoryPage })));
const LoginPage = lazy(() => import("./pages/LoginPage").then((module) => ({ default: module.LoginPage })));
const ReplayPage = lazy(() => import("./pages/ReplayPage").then((module) => ({ default: module.ReplayPage })));
const SupervisorPage = lazy(() => import("./pages/SupervisorPage").then((module) => ({ default: module.SupervisorPage })));

function Loading() {
  return (
    <p className="page-message muted" role="status">
      Loading…
    </p>
  );
}

/** Staff pages: log in first, and have the role. */
function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!hasRole(user, role)) {
    return (
      <div className="console">
        <AppHeader />
        <main className="page-message card">
          <h1>You don't have access to this page</h1>
          <p>
            It needs the {role} role; you are logged in as {user.display_name} ({user.role}).
          </p>
          <p>
            <Link to={homeFor(user)}>Go to your console</Link>
          </p>
        </main>
      </div>
    );
  }
  return <>{children}</>;
}

function Home() {
  const { user, loading } = useAuth();
  if (loading) return <Loading />;
  return <Navigate to={user ? homeFor(user) : "/login"} replace />;
}

export function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <main className="page-message card">
      <p className="eyebrow">404</p>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the start page</Link> or <Link to="/call">call support</Link>.
      </p>
    </main>
  );
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/call" element={<CallPage />} />
        <Route path="/agent" element={<RequireRole role="agent"><AgentPage /></RequireRole>} />
        <Route path="/supervisor" element={<RequireRole role="supervisor"><SupervisorPage /></RequireRole>} />
        <Route path="/dashboard" element={<RequireRole role="supervisor"><DashboardPage /></RequireRole>} />
        <Route path="/history" element={<RequireRole role="agent"><HistoryPage /></RequireRole>} />
        <Route path="/history/:callId" element={<RequireRole role="agent"><ReplayPage /></RequireRole>} />
        <Route path="/admin/users" element={<RequireRole role="admin"><AdminUsersPage /></RequireRole>} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Suspense>
  );
}
