import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../lib/api";
import { homeFor, useAuth } from "../lib/auth";

export function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await login(username.trim(), password);
      const next = params.get("next");
      navigate(next && next.startsWith("/") ? next : homeFor(user), { replace: true });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 429) {
        setError(`Too many failed attempts. Try again in ${caught.retryAfter ?? 60} seconds.`);
      } else if (caught instanceof ApiError && caught.status === 401) {
        setError("Wrong username or password.");
      } else {
        setError(caught instanceof Error ? caught.message : "Login failed.");
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="login-title">
        <p className="brand">Earshot</p>
        <h1 id="login-title">Staff login</h1>
        <label htmlFor="username">Username</label>
        <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button-primary button-large" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          Calling for help? <a href="/call">Start a call</a> — no login needed.
        </p>
      </form>
    </main>
  );
}
