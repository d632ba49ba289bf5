import { useCallback, useEffect, useState, type FormEvent } from "react";
import { AppHeader } from "../components/AppHeader";
import { ApiError, api, type Role, type User } from "../lib/api";
import { useAuth } from "../lib/auth";

const ROLES: Role[] = ["agent", "supervisor", "admin"];

/** Admins manage staff accounts: create, change role, disable and enable. */
export function AdminUsersPage() {
  const { user: me } = useAuth();
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    api.users().then(setUsers).catch((caught) => setError(caught instanceof ApiError ? caught.message : "Could not load users."));
  }, []);
  useEffect(reload, [reload]);

  async function update(user: User, change: Partial<{ role: Role; is_active: boolean }>) {
    try {
      const updated = await api.updateUser(user.id, change);
      setUsers((all) => all.map((u) => (u.id === updated.id ? updated : u)));
      setError(null);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : "Update failed.");
    }
  }

  return (
    <div className="console">
      <AppHeader />
      <main className="admin">
        <section className="card" aria-labelledby="users-title">
          <h1 id="users-title">Users</h1>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} className={user.is_active ? "" : "inactive"}>
                  <td>{user.username}</td>
                  <td>{user.display_name}</td>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                      Role of {user.username}
                    </label>
                    <select
                      id={`role-${user.id}`}
                      value={user.role}
                      disabled={user.id === me?.id}
                      onChange={(event) => void update(user, { role: event.target.value as Role })}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <span className={`pill ${user.is_active ? "pill-ok" : "pill-muted"}`}>{user.is_active ? "Active" : "Disabled"}</span>
                  </td>
                  <td>
                    {user.id !== me?.id && (
                      <button className="button button-small" onClick={() => void update(user, { is_active: !user.is_active })}>
                        {user.is_active ? "Disable" : "Enable"}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <CreateUserForm onCreated={(user) => setUsers((all) => [...all, user].sort((a, b) => a.username.localeCompare(b.username)))} />
      </main>
    </div>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: User) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const user = await api.createUser({ username: username.trim(), display_name: displayName.trim() || username.trim(), password, role });
      onCreated(user);
      setUsername("");
      setDisplayName("");
      setPassword("");
      setMessage({ error: false, text: `Created ${user.username}.` });
    } catch (caught) {
      setMessage({ error: true, text: caught instanceof ApiError ? caught.message : "Could not create the user." });
    }
  }

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">Add a user</h2>
      <label htmlFor="new-username">Username</label>
      <input id="new-username" value={username} onChange={(e) => setUsername(e.target.value)} required minLength={3} maxLength={64} />
      <label htmlFor="new-name">Display name</label>
      <input id="new-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={128} />
      <label htmlFor="new-password">Password</label>
      <input id="new-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" />
      <label htmlFor="new-role">Role</label>
      <select id="new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {message && (
        <p className={message.error ? "form-error" : "muted"} role={message.error ? "alert" : "status"}>
          {message.text}
        </p>
      )}
      <button type="submit" className="button button-primary">
        Create user
      </button>
    </form>
  );
}
