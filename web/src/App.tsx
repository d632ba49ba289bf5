import type { ReactNode } from "react";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import type { Role } from "./lib/api";
import { hasRole, homeFor, useAuth } from "./lib/auth";
import { AdminUsersPage } from "./pages/AdminUsersPage";
import { AgentPage } from "./pages/AgentPage";
import { CallPage } from "./pages/CallPage";
import { LoginPage } from "./pages/LoginPage";
import { SupervisorPage } from "./pages/SupervisorPage";

/** Staff pages: log in first, and have the role. */
function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <p className="page-message">Loading…</p>;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  if (!hasRole(user, role)) {
    return (
      <main className="page-message">
        <h1>You don't have access to this page</h1>
        <p>
          It needs the {role} role; you are logged in as {user.display_name} ({user.role}).{" "}
          <Link to={homeFor(user)}>Go to your console</Link>
        </p>
      </main>
    );
  }
  return <>{children}</>;
}

function Home() {
  const { user, loading } = useAuth();
  if (loading) return <p className="page-message">Loading…</p>;
  return <Navigate to={user ? homeFor(user) : "/login"} replace />;
}

export function NotFoundPage() {
  return (
    <main className="page-message">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the start page</Link> or <Link to="/call">call support</Link>.
      </p>
    </main>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="/call" element={<CallPage />} />
      <Route path="/agent" element={<RequireRole role="agent"><AgentPage /></RequireRole>} />
      <Route path="/supervisor" element={<RequireRole role="supervisor"><SupervisorPage /></RequireRole>} />
      <Route path="/admin/users" element={<RequireRole role="admin"><AdminUsersPage /></RequireRole>} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
