import type { ReactNode } from "react";
import { NavLink, useNavigate } from "react-router-dom";
import { hasRole, useAuth } from "../lib/auth";

/** The staff pages' header: product name, navigation by role, the user and logout. */
export function AppHeader({ children }: { children?: ReactNode }) {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <header className="app-header">
      <span className="brand">Earshot</span>
      <nav aria-label="Main">
        {hasRole(user, "agent") && <NavLink to="/agent">Agent console</NavLink>}
        {hasRole(user, "supervisor") && <NavLink to="/supervisor">Supervisor</NavLink>}
        {hasRole(user, "supervisor") && <NavLink to="/dashboard">Dashboard</NavLink>}
        {hasRole(user, "agent") && <NavLink to="/history">History</NavLink>}
        {hasRole(user, "admin") && <NavLink to="/admin/users">Users</NavLink>}
      </nav>
      <div className="header-tools">{children}</div>
      {user && (
        <div className="user">
          <span>
            {user.display_name} <span className="user-role">· {user.role}</span>
          </span>
          <button
            type="button"
            className="button button-small"
            onClick={async () => {
              await logout();
              navigate("/login");
            }}
          >
            Log out
          </button>
        </div>
      )}
    </header>
  );
}
