import { useState, type FormEvent } from "react";
import { ApiError, api, type Role, type User } from "../lib/api";
import { ROLES } from "./UsersTable";

/** Adds a staff account; the server's refusal (name taken, weak password) is shown under the form. */
export function CreateUserForm({ onCreated }: { onCreated: (user: User) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const user = await api.createUser({ username: username.trim(), display_name: displayName.trim() || username.trim(), password, role });
      onCreated(user);
      setUsername("");
      setDisplayName("");
      setPassword("");
      setMessage({ error: false, text: `Created ${user.username}.` });
    } catch (caught) {
      setMessage({ error: true, text: caught instanceof ApiError ? caught.message : "Could not create the user." });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">Add a user</h2>
      <label htmlFor="new-username">Username</label>
      <input id="new-username" value={username} onChange={(e) => setUsername(e.target.value)} required minLength={3} maxLength={64} autoComplete="off" />
      <label htmlFor="new-name">Display name</label>
      <input id="new-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={128} autoComplete="off" />
      <label htmlFor="new-password">Password</label>
      <input id="new-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={8} autoComplete="new-password" aria-describedby="new-password-hint" />
      <p id="new-password-hint" className="muted small">
        At least 8 characters.
      </p>
      <label htmlFor="new-role">Role</label>
      <select id="new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {message && (
        <p className={message.error ? "form-error" : "form-ok"} role={message.error ? "alert" : "status"}>
          {message.text}
        </p>
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? "Creating…" : "Create user"}
      </button>
    </form>
  );
}
